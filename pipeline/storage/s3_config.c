/*
 * s3_config.c: where an s3:// destination goes and with which credentials,
 * the way the AWS tools decide it:
 *   credentials  AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN),
 *                else the profile AWS_PROFILE (default "default") of the shared
 *                credentials file (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials),
 *                else of the config file (AWS_CONFIG_FILE, ~/.aws/config)
 *   region       AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1
 *   endpoint     AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else https://s3.<region>.amazonaws.com
 *   addressing   path-style for IP addresses and localhost, for bucket names with
 *                dots over HTTPS, and when AWS_S3_FORCE_PATH_STYLE=true or
 *                AWS_S3_ADDRESSING_STYLE=path; virtual-host otherwise
 * Secrets are copied into the config and wiped again in cl_s3_config_clear().
 * Once they are loaded the process is no longer dumpable (see keep_secrets_in).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>

#include <libavutil/error.h>

#include "../core/util.h"
#include "s3_internal.h"

#define MiB (1024 * 1024)
#define AWS_FILE_CAP (1 << 20)

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static int env_true(const char *name)
{
    const char *v = env(name);
    return v && (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes"));
}

static char *trim_span(const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return strndup(s, n);
}

char *cl_s3_ini_get(const char *text, const char *section, const char *key)
{
    int in_section = 0;
    const char *line = text;
    while (line && *line) {
        const char *eol = strchr(line, '\n');
        size_t n = eol ? (size_t)(eol - line) : strlen(line);
        char *l = trim_span(line, n);
        if (!l)
            return NULL;
        if (l[0] == '[') {
            char *close = strchr(l, ']');
            if (close) {
                char *name = trim_span(l + 1, (size_t)(close - l - 1));
                in_section = name && !strcmp(name, section);
                free(name);
            }
        } else if (in_section && l[0] != '#' && l[0] != ';') {
            char *eq = strchr(l, '=');
            if (eq) {
                char *k = trim_span(l, (size_t)(eq - l));
                int match = k && !strcmp(k, key);
                free(k);
                if (match) {
                    char *v = trim_span(eq + 1, strlen(eq + 1));
                    free(l);
                    return v;
                }
            }
        }
        free(l);
        line = eol ? eol + 1 : NULL;
    }
    return NULL;
}

static char *aws_file_path(const char *env_name, const char *name)
{
    const char *p = env(env_name);
    if (p)
        return strdup(p);
    const char *home = env("HOME");
    if (!home)
        return NULL;
    char *dir = cl_path_join(home, ".aws");
    char *path = dir ? cl_path_join(dir, name) : NULL;
    free(dir);
    return path;
}

static char *read_aws_file(const char *env_name, const char *name, char **path_out)
{
    char *path = aws_file_path(env_name, name), *text = NULL;
    if (path && cl_read_file(path, AWS_FILE_CAP, &text, NULL) < 0)
        text = NULL;
    *path_out = path;
    return text;
}

/* Fills the keys from a profile section of one of the shared files. */
static void keys_from_file(cl_s3_config *cfg, const char *text, const char *section,
                           const char *path, const char *profile)
{
    if (!text || cfg->access_key)
        return;
    char *id = cl_s3_ini_get(text, section, "aws_access_key_id");
    char *secret = cl_s3_ini_get(text, section, "aws_secret_access_key");
    if (id && *id && secret && *secret) {
        cfg->access_key = id;
        cfg->secret_key = secret;
        cfg->session_token = cl_s3_ini_get(text, section, "aws_session_token");
        snprintf(cfg->cred_source, sizeof(cfg->cred_source), "profile \"%s\" of %s", profile,
                 path);
        return;
    }
    free(id);
    if (secret)
        explicit_bzero(secret, strlen(secret));
    free(secret);
}

/* The secret is in this process's memory from now on (to sign every request),
 * and a variable's since exec: the process is made not dumpable, for the rest
 * of its life, so that a crash or a signal leaves no core file with it (file
 * or pipe, whatever core_pattern says) and no other process of the same user
 * reads its memory (ptrace, /proc/PID/mem, environ). */
static void keep_secrets_in(clipline_context *c)
{
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        cl_log(c, CLIPLINE_LOG_WARNING, "s3: cannot keep the credentials out of core files: %s", strerror(errno));
}

static int load_credentials(clipline_context *c, cl_s3_config *cfg)
{
    const char *profile = env("AWS_PROFILE") ? env("AWS_PROFILE") : "default";
    char *cpath = NULL, *fpath = NULL;
    char *creds = read_aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials", &cpath);
    char *conf = read_aws_file("AWS_CONFIG_FILE", "config", &fpath);
    char conf_section[300];
    snprintf(conf_section, sizeof(conf_section), "%s%s", strcmp(profile, "default") ? "profile " : "",
             profile);
    if (env("AWS_ACCESS_KEY_ID") && env("AWS_SECRET_ACCESS_KEY")) {
        cfg->access_key = strdup(env("AWS_ACCESS_KEY_ID"));
        cfg->secret_key = strdup(env("AWS_SECRET_ACCESS_KEY"));
        if (env("AWS_SESSION_TOKEN"))
            cfg->session_token = strdup(env("AWS_SESSION_TOKEN"));
        snprintf(cfg->cred_source, sizeof(cfg->cred_source), "AWS_ACCESS_KEY_ID");
    }
    keys_from_file(cfg, creds, profile, cpath ? cpath : "~/.aws/credentials", profile);
    keys_from_file(cfg, conf, conf_section, fpath ? fpath : "~/.aws/config", profile);
    const char *region = env("AWS_REGION") ? env("AWS_REGION") : env("AWS_DEFAULT_REGION");
    char *file_region = !region && conf ? cl_s3_ini_get(conf, conf_section, "region") : NULL;
    cfg->region = strdup(region ? region : file_region && *file_region ? file_region : "us-east-1");
    int ret = 0;
    if (cfg->secret_key)
        keep_secrets_in(c);
    if (!cfg->access_key)
        ret = cl_fail(c, CLIPLINE_ERROR_CONFIG,
                      "s3: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
                      "give profile \"%s\" an aws_access_key_id and aws_secret_access_key in %s",
                      profile, cpath ? cpath : "~/.aws/credentials");
    else if (!cfg->secret_key || !cfg->region)
        ret = AVERROR(ENOMEM);
    if (creds)
        explicit_bzero(creds, strlen(creds));
    if (conf)
        explicit_bzero(conf, strlen(conf));
    free(creds);
    free(conf);
    free(cpath);
    free(fpath);
    free(file_region);
    return ret;
}

static int is_ip_or_localhost(const char *host, size_t n)
{
    if (n && host[0] == '[')
        return 1; /* IPv6 literal */
    if (n == 9 && !strncasecmp(host, "localhost", 9))
        return 1;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)host[i]) && host[i] != '.')
            return 0;
    return n > 0;
}

/* scheme://host[:port][/path] of the endpoint, and the addressing style. */
static int load_endpoint(clipline_context *c, cl_s3_config *cfg)
{
    const char *url = env("AWS_ENDPOINT_URL_S3") ? env("AWS_ENDPOINT_URL_S3") : env("AWS_ENDPOINT_URL");
    char fallback[256];
    if (!url) {
        snprintf(fallback, sizeof(fallback), "https://s3.%s.amazonaws.com", cfg->region);
        url = fallback;
    }
    const char *sep = strstr(url, "://");
    if (!sep || (strncasecmp(url, "https", 5) && strncasecmp(url, "http", 4)) ||
        (size_t)(sep - url) > 5)
        return cl_fail(c, CLIPLINE_ERROR_CONFIG,
                       "s3: endpoint \"%s\" is not an http:// or https:// URL", url);
    cfg->scheme = strndup(url, (size_t)(sep - url));
    for (char *p = cfg->scheme; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    const char *h = sep + 3, *slash = strchr(h, '/');
    size_t hl = slash ? (size_t)(slash - h) : strlen(h);
    if (!hl || memchr(h, '@', hl))
        return cl_fail(c, CLIPLINE_ERROR_CONFIG,
                       "s3: endpoint \"%s\": expected scheme://host[:port] without user info", url);
    const char *colon = h[0] == '[' ? NULL : memchr(h, ':', hl);
    size_t name_len = colon ? (size_t)(colon - h) : hl;
    const char *style = env("AWS_S3_ADDRESSING_STYLE");
    cfg->path_style = is_ip_or_localhost(h, name_len) || env_true("AWS_S3_FORCE_PATH_STYLE") ||
                      (style && !strcasecmp(style, "path")) ||
                      (strchr(cfg->bucket, '.') && !strcmp(cfg->scheme, "https"));
    if (style && !strcasecmp(style, "virtual") && !is_ip_or_localhost(h, name_len))
        cfg->path_style = 0;
    char *path = slash ? strdup(slash) : strdup("");
    if (path && *path && path[strlen(path) - 1] == '/')
        path[strlen(path) - 1] = '\0';
    cl_s3_buf host = { 0 }, base = { 0 };
    if (!cfg->path_style)
        cl_s3_buf_printf(&host, "%s.", cfg->bucket);
    cl_s3_buf_add(&host, h, hl);
    cl_s3_buf_printf(&base, "%s%s%s", path ? path : "", cfg->path_style ? "/" : "",
                     cfg->path_style ? cfg->bucket : "");
    free(path);
    cfg->host = host.p;
    cfg->base_path = base.p ? base.p : strdup("");
    if (!cfg->scheme || !cfg->host || !cfg->base_path || host.oom || base.oom)
        return AVERROR(ENOMEM);
    return 0;
}

static int64_t env_size(const char *name, int64_t dflt)
{
    const char *v = env(name);
    if (!v)
        return dflt;
    char *end;
    long long n = strtoll(v, &end, 10);
    if (end == v)
        return dflt;
    if (*end == 'M' || *end == 'm')
        n *= MiB;
    return n >= 5LL * MiB ? (int64_t)n : dflt;
}

static int valid_bucket(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63)
        return 0;
    for (const char *p = b; *p; p++)
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-' && *p != '.' &&
            *p != '_')
            return 0;
    return 1;
}

int cl_s3_config_load(clipline_context *c, const char *location, cl_s3_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    const char *slash = strchr(location, '/');
    cfg->bucket = slash ? strndup(location, (size_t)(slash - location)) : strdup(location);
    const char *pfx = slash ? slash + 1 : "";
    while (*pfx == '/')
        pfx++;
    cfg->prefix = strdup(pfx);
    if (!cfg->bucket || !cfg->prefix)
        return AVERROR(ENOMEM);
    for (size_t n = strlen(cfg->prefix); n && cfg->prefix[n - 1] == '/'; n--)
        cfg->prefix[n - 1] = '\0';
    if (!valid_bucket(cfg->bucket))
        return cl_fail(c, CLIPLINE_ERROR_CONFIG,
                       "s3://%s: \"%s\" is not a valid bucket name (3 to 63 lower-case letters, "
                       "digits, '-' or '.')",
                       location, cfg->bucket);
    int ret = load_credentials(c, cfg);
    if (ret < 0 || (ret = load_endpoint(c, cfg)) < 0)
        return ret;
    if (env("AWS_CA_BUNDLE") && !(cfg->ca_bundle = strdup(env("AWS_CA_BUNDLE"))))
        return AVERROR(ENOMEM);
    cfg->part_size = env_size("CLIPLINE_S3_PART_SIZE", 0);
    cfg->multipart_threshold = env_size("CLIPLINE_S3_MULTIPART_THRESHOLD", 16LL * MiB);
    const char *a = env("CLIPLINE_S3_MAX_ATTEMPTS"), *t = env("CLIPLINE_S3_STALL_TIMEOUT");
    const char *par = env("CLIPLINE_S3_PARALLEL");
    cfg->parallel = par && atoi(par) >= 1 && atoi(par) <= 16 ? atoi(par) : 4;
    cfg->max_attempts = a && atoi(a) >= 1 && atoi(a) <= 20 ? atoi(a) : 6;
    cfg->stall_timeout_s = t && atoi(t) >= 1 && atoi(t) <= 3600 ? atoi(t) : 60;
    return 0;
}

static void wipe_free(char **s)
{
    if (*s)
        explicit_bzero(*s, strlen(*s));
    free(*s);
    *s = NULL;
}

void cl_s3_config_clear(cl_s3_config *cfg)
{
    if (!cfg)
        return;
    wipe_free(&cfg->secret_key);
    wipe_free(&cfg->session_token);
    free(cfg->bucket);
    free(cfg->prefix);
    free(cfg->region);
    free(cfg->access_key);
    free(cfg->scheme);
    free(cfg->host);
    free(cfg->base_path);
    free(cfg->ca_bundle);
    memset(cfg, 0, sizeof(*cfg));
}
