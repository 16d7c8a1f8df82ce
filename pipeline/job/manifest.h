/*
 * manifest.h: the destination's manifest.json and each clip's manifest.json
 * (DESIGN.md §1, "Output layout"). A manifest is plain JSON held in jansson
 * objects; this module knows its shape, not where it is stored.
 */
#ifndef CL_MANIFEST_H
#define CL_MANIFEST_H

#include <jansson.h>

#include "../core/internal.h"

#define CL_MANIFEST_CAP (64 * 1024 * 1024)

/* Parses manifest text (NULL or "" gives a new, empty manifest). A manifest
 * that is not ours or not JSON is an error naming `where`. */
int cl_manifest_parse(clipline_context *c, const char *text, const char *where, json_t **m);

/* The output entry with this path, or NULL (borrowed). */
json_t *cl_manifest_output(json_t *m, const char *path);

/* Replaces what the manifest says about one item (interview/clip): its
 * entry under "items" and, unless `outputs` is NULL (a failed item keeps the
 * outputs it published before), its outputs (paths relative to the
 * destination). */
void cl_manifest_replace_item(json_t *m, const char *interview, const char *clip, json_t *item,
                              json_t *outputs);

/* Serialises with sorted outputs/items, stable across runs. Caller frees. */
char *cl_manifest_dump(json_t *m);

#endif
