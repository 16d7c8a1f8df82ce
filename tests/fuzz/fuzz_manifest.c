/*
 * fuzz_manifest.c: the destination's manifest.json and a shard's part of it,
 * both read back from storage that other processes (or people) wrote. What
 * parses merges, and what is written parses again.
 */
#include "../../pipeline/job/manifest.h"
#include "lib_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clipline_context *c = fuzz_context();
    char *text = fuzz_cstr(data, size);
    json_t *m = NULL, *fresh = NULL;
    if (!text)
        return 0;
    int ret = cl_manifest_parse(c, text, "manifest.json", &m);
    if (ret < 0) {
        check_failure(ret);
        FUZZ_CHECK(m == NULL);
        free(text);
        return 0;
    }
    /* as a shard's part, merged into a new manifest and into itself */
    FUZZ_CHECK(cl_manifest_parse(c, "", "new", &fresh) == 0);
    int n = cl_manifest_merge(c, fresh, m, "part.json");
    if (n < 0)
        check_failure(n);
    json_t *part = cl_manifest_item_part(m, "interview", "clip");
    if (part && cl_manifest_merge(c, m, part, "part.json") < 0)
        check_failure(-1);
    json_decref(part);
    cl_manifest_output(m, "interview/clip/web-720p.mp4");
    json_t *both[2] = { m, fresh };
    for (int i = 0; i < 2; i++) {
        char *dump = cl_manifest_dump(both[i]);
        FUZZ_CHECK(dump != NULL);
        json_t *again = NULL;
        FUZZ_CHECK(cl_manifest_parse(c, dump, "dumped", &again) == 0);
        json_decref(again);
        free(dump);
    }
    json_decref(fresh);
    json_decref(m);
    free(text);
    return 0;
}
