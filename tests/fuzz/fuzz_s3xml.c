/*
 * fuzz_s3xml.c: the S3 XML responses the backend reads: ListParts pages
 * (resuming an upload), errors (Code, Message) and InitiateMultipartUpload
 * (UploadId). Whatever the server sends, the tag reader stays inside the
 * body and its output fits the buffer; a page that parses lists valid parts.
 */
#include "../../pipeline/storage/s3_internal.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cl_s3_part_list l = { 0 };
    int ret = cl_s3_parse_list_parts((const char *)data, size, &l);
    FUZZ_CHECK(ret == 0 || ret == -1 || ret == -2);
    if (ret == 0) {
        FUZZ_CHECK(l.n <= CL_S3_MAX_PARTS);
        FUZZ_CHECK(!l.truncated || l.next_marker >= 1);
        for (int i = 0; i < l.n; i++)
            FUZZ_CHECK(l.parts[i].number >= 1 && l.parts[i].number <= CL_S3_MAX_PARTS &&
                       l.parts[i].size >= 0 && l.parts[i].etag[0]);
    }
    cl_s3_part_list_free(&l);

    char *text = fuzz_cstr(data, size);
    if (!text)
        return 0;
    static const char *const tags[] = { "Code", "Message", "UploadId", "RequestId", "ETag" };
    char out[64];
    for (size_t i = 0; i < sizeof(tags) / sizeof(*tags); i++) {
        cl_s3_xml_tag(text, tags[i], out, sizeof(out));
        size_t n = strlen(out);
        FUZZ_CHECK(n < sizeof(out));
        for (size_t k = 0; k < n; k++)
            FUZZ_CHECK((unsigned char)out[k] >= 0x20);
    }
    free(text);
    return 0;
}
