/*
 * fuzz_preset.c: the preset reader (a user's preset file over the built-in
 * layers). A preset that loads has a canonical text; one that does not says
 * why.
 */
#include "../../pipeline/job/preset.h"
#include "lib_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clipline_context *c = fuzz_context();
    const char *path = fuzz_file("preset.json", data, size);
    cl_preset p;
    memset(&p, 0, sizeof(p));
    int ret = cl_preset_load_file(c, path, &p);
    if (ret < 0) {
        check_failure(ret);
    } else {
        char *canon = cl_preset_canonical(&p);
        FUZZ_CHECK(canon != NULL);
        free(canon);
    }
    cl_preset_free(&p);
    return 0;
}
