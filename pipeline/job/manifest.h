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

/* A shard's part of the manifest for one item (interview/clip): a manifest
 * with that item, its outputs and the preset texts they name; NULL when
 * the manifest does not know the item. */
json_t *cl_manifest_item_part(json_t *m, const char *interview, const char *clip);

/* Merges a part (cl_manifest_item_part, or any manifest): its items and
 * their outputs replace what `m` says about them. Returns the items merged,
 * or CLIPLINE_ERROR_STORAGE naming `where` when the part is not a manifest. */
int cl_manifest_merge(clipline_context *c, json_t *m, const json_t *part, const char *where);

/* Serialises with sorted outputs/items, stable across runs. Caller frees. */
char *cl_manifest_dump(json_t *m);

#endif
