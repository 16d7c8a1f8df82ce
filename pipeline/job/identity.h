/*
 * identity.h: what a recording (or an intro or outro card) is, for the
 * planner's fingerprints: its size and the SHA-256 of its bytes. Hashing a
 * camera file of gigabytes takes seconds, so the hashes are cached in a
 * file (sources.json in the cache folder) under the file's real path with
 * its size, modification time, inode and change time: a file whose stat
 * still matches is not read again; a file touched, copied back or checked
 * out again is hashed again, and if its bytes are the same nothing that
 * depends on it is rebuilt.
 */
#ifndef CL_IDENTITY_H
#define CL_IDENTITY_H

#include "../core/internal.h"

typedef struct cl_identities cl_identities;

/* The cache folder (malloc'ed): `dir`, or $CLIPLINE_CACHE_DIR,
 * $XDG_CACHE_HOME/clipline, ~/.cache/clipline; NULL when none can be named. */
char *cl_cache_dir(const char *dir);

/* The cache folder: `dir`, or $CLIPLINE_CACHE_DIR, $XDG_CACHE_HOME/clipline,
 * ~/.cache/clipline. The cache is read here; when there is none (or it
 * cannot be read) hashes are computed and kept for the run only. Threads
 * may ask for identities at once; a file asked for by two threads is hashed
 * once. Returns NULL only without memory. */
cl_identities *cl_identities_open(clipline_context *c, const char *dir);

/* "sha256:<hex>:<bytes>" of the file, or "missing" when it cannot be
 * read (the build that needs it then fails with its own error). */
void cl_identity_of(cl_identities *ids, const char *path, char *buf, size_t size);

/* Writes what was hashed in this run back to the cache (merged with what
 * other processes wrote meanwhile; the least recently used entries beyond
 * a few thousand dropped) and frees everything. */
void cl_identities_close(cl_identities **ids);

#endif
