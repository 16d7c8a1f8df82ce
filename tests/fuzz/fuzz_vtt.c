/* fuzz_vtt.c: the WebVTT parser (cues, settings, regions, styles). */
#include "subs_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_subtitles(data, size, clsub_parse_vtt);
    return 0;
}
