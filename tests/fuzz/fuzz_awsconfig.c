/*
 * fuzz_awsconfig.c: the reader of the AWS shared credentials and config
 * files (INI: [profile name] sections, key = value lines, comments).
 */
#include "../../pipeline/storage/s3_internal.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    if (!text)
        return 0;
    static const char *const sections[] = { "default", "profile default", "profile work", "work" };
    static const char *const keys[] = { "aws_access_key_id", "aws_secret_access_key",
                                        "aws_session_token", "region", "endpoint_url" };
    for (size_t s = 0; s < sizeof(sections) / sizeof(*sections); s++)
        for (size_t k = 0; k < sizeof(keys) / sizeof(*keys); k++) {
            char *v = cl_s3_ini_get(text, sections[s], keys[k]);
            if (v) {
                FUZZ_CHECK(strlen(v) <= size);
                FUZZ_CHECK(!strchr(v, '\n'));
            }
            free(v);
        }
    free(text);
    return 0;
}
