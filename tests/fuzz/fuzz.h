/*
 * fuzz.h: what the fuzz targets share. Each fuzz_NAME.c defines libFuzzer's
 * LLVMFuzzerTestOneInput(); built with clang and -fsanitize=fuzzer it is a
 * fuzzer (scripts/fuzz), built with replay.c it is a plain program that runs
 * the committed seed corpus (tests/fuzz/corpus/NAME) on every ctest run.
 *
 * A target must never leave state behind between inputs (the fuzzer also
 * looks for leaks), and checks the properties its parser promises with
 * FUZZ_CHECK, which aborts so that the fuzzer keeps the input.
 */
#ifndef CL_FUZZ_H
#define CL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                    \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__, __LINE__, #cond);     \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

/* The input as a NUL-terminated string (the parser gets exactly size bytes
 * before the NUL, so reading past the input is still caught). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s) {
        if (size)
            memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

#endif
