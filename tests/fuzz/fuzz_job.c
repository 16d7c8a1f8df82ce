/*
 * fuzz_job.c: the job file reader (keys, types, times, clips, intro/outro,
 * subtitles options). A job that loads names only safe file-name parts; one
 * that does not says why. (A job without "destination" is valid: run uses
 * the job's folder's out/.)
 */
#include "../../pipeline/core/util.h"
#include "../../pipeline/job/spec.h"
#include "lib_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clipline_context *c = fuzz_context();
    const char *path = fuzz_file("job.json", data, size);
    cl_job_spec job;
    memset(&job, 0, sizeof(job));
    int ret = cl_job_load(c, path, &job);
    if (ret < 0) {
        check_failure(ret);
    } else {
        for (int i = 0; i < job.nb_interviews; i++) {
            const cl_interview_spec *iv = &job.interviews[i];
            FUZZ_CHECK(iv->id && cl_safe_component(iv->id));
            for (int k = 0; k < iv->nb_clips; k++)
                FUZZ_CHECK(iv->clips[k].name && cl_safe_component(iv->clips[k].name));
        }
    }
    cl_job_free(&job);
    return 0;
}
