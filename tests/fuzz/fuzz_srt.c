/* fuzz_srt.c: the SRT parser (bytes as a translator's editor might save them). */
#include "subs_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_subtitles(data, size, clsub_parse_srt);
    return 0;
}
