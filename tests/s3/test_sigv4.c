/*
 * test_sigv4.c: the SigV4 signer against AWS's published vectors: cases of
 * the aws-sig-v4-test-suite (credentials AKIDEXAMPLE, 2015-08-30, service
 * "service") and the worked examples of the S3 documentation ("Signature
 * Calculations for the Authorization Header", AKIAIOSFODNN7EXAMPLE,
 * 2013-05-24, bucket examplebucket). Each case checks the canonical request,
 * the string to sign, the signature and the Authorization header. Plus the
 * helpers: URI encoding, canonical query, part sizes, INI lookup, Cache-Control.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/s3_internal.h"

static int failures;

#define CHECK_STR(name, got, want)                                                       \
    do {                                                                                 \
        const char *g_ = (got), *w_ = (want);                                            \
        if (!g_ || strcmp(g_, w_)) {                                                     \
            fprintf(stderr, "FAIL %s: %s\n--- got:\n%s\n--- want:\n%s\n", name, #got,    \
                    g_ ? g_ : "(null)", w_);                                             \
            failures++;                                                                  \
        }                                                                                \
    } while (0)

#define CHECK(name, cond)                                              \
    do {                                                               \
        if (!(cond)) {                                                 \
            fprintf(stderr, "FAIL %s: %s\n", name, #cond);             \
            failures++;                                                \
        }                                                              \
    } while (0)

#define EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct vector {
    const char *name;
    const char *method, *path;
    cl_s3_kv query[4];
    int nb_query;
    cl_s3_kv headers[8];
    int nb_headers;
    const char *payload_hash;
    const char *canonical, *sts, *signature;
} vector;

/* aws-sig-v4-test-suite: AKIDEXAMPLE, us-east-1, service "service". */
static const vector suite[] = {
    { "get-vanilla", "GET", "/", { { 0 } }, 0,
      { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", "20150830T123600Z" } }, 2, EMPTY,
      "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" EMPTY,
      "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
      "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
    { "get-vanilla-query-order-key-case", "GET", "/",
      { { "Param2", "value2" }, { "Param1", "value1" } }, 2,
      { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", "20150830T123600Z" } }, 2, EMPTY,
      "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" EMPTY,
      "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
      "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
      "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },
    { "get-vanilla-query-order-encoded", "GET", "/",
      { { "Param-3", "Value3" }, { "Param", "Value2" }, { "\xe1\x88\xb4", "Value1" } }, 3,
      { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", "20150830T123600Z" } }, 2, EMPTY,
      "GET\n/\n%E1%88%B4=Value1&Param=Value2&Param-3=Value3\nhost:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" EMPTY,
      "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
      "868294f5c38bd141c4972a373a76654f1418a8e4fc18b2e7903ae45e8ae0ec71",
      "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac" },
    { "get-utf8", "GET", "/\xe1\x88\xb4", { { 0 } }, 0,
      { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", "20150830T123600Z" } }, 2, EMPTY,
      "GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
      "host;x-amz-date\n" EMPTY,
      "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
      "2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
      "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85" },
    { "get-header-value-trim", "GET", "/", { { 0 } }, 0,
      { { "Host", "example.amazonaws.com" }, { "My-Header1", " value1" },
        { "My-Header2", " \"a   b   c\"" }, { "X-Amz-Date", "20150830T123600Z" } }, 4, EMPTY,
      "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
      "x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n" EMPTY,
      "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
      "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
      "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736" },
    { "get-header-key-duplicate", "GET", "/", { { 0 } }, 0,
      { { "Host", "example.amazonaws.com" }, { "My-Header1", "value2" }, { "My-Header1", "value2" },
        { "My-Header1", "value1" }, { "X-Amz-Date", "20150830T123600Z" } }, 5, EMPTY,
      "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\n"
      "x-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n" EMPTY,
      "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
      "dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
      "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea" },
    { "get-vanilla-with-session-token", "GET", "/", { { 0 } }, 0,
      { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", "20150830T123600Z" },
        { "X-Amz-Security-Token", "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267" } },
      3, EMPTY,
      "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n"
      "x-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267\n\n"
      "host;x-amz-date;x-amz-security-token\n" EMPTY,
      "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
      "067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b",
      "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8" },
    { "post-vanilla-query", "POST", "/", { { "Param1", "value1" } }, 1,
      { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", "20150830T123600Z" } }, 2, EMPTY,
      "POST\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
      "host;x-amz-date\n" EMPTY,
      "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
      "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
      "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11" },
    { "post-x-www-form-urlencoded", "POST", "/", { { 0 } }, 0,
      { { "Content-Type", "application/x-www-form-urlencoded" },
        { "Host", "example.amazonaws.com" }, { "X-Amz-Date", "20150830T123600Z" } }, 3,
      "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
      "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
      "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
      "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
      "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
      "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a" },
};

/* S3 documentation examples: AKIAIOSFODNN7EXAMPLE, us-east-1, service s3. */
#define S3HOST "examplebucket.s3.amazonaws.com"
#define S3DATE "20130524T000000Z"
#define PUT_HASH "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
static const vector s3doc[] = {
    { "s3 GET object with Range", "GET", "/test.txt", { { 0 } }, 0,
      { { "Host", S3HOST }, { "Range", "bytes=0-9" }, { "x-amz-content-sha256", EMPTY },
        { "x-amz-date", S3DATE } }, 4, EMPTY,
      "GET\n/test.txt\n\nhost:" S3HOST "\nrange:bytes=0-9\nx-amz-content-sha256:" EMPTY
      "\nx-amz-date:" S3DATE "\n\nhost;range;x-amz-content-sha256;x-amz-date\n" EMPTY,
      "AWS4-HMAC-SHA256\n" S3DATE "\n20130524/us-east-1/s3/aws4_request\n"
      "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
      "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41" },
    { "s3 PUT object", "PUT", "/test$file.text", { { 0 } }, 0,
      { { "Date", "Fri, 24 May 2013 00:00:00 GMT" }, { "Host", S3HOST },
        { "x-amz-content-sha256", PUT_HASH }, { "x-amz-date", S3DATE },
        { "x-amz-storage-class", "REDUCED_REDUNDANCY" } }, 5, PUT_HASH,
      "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\nhost:" S3HOST
      "\nx-amz-content-sha256:" PUT_HASH "\nx-amz-date:" S3DATE
      "\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
      "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n" PUT_HASH,
      "AWS4-HMAC-SHA256\n" S3DATE "\n20130524/us-east-1/s3/aws4_request\n"
      "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
      "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd" },
    { "s3 GET bucket lifecycle", "GET", "/", { { "lifecycle", NULL } }, 1,
      { { "Host", S3HOST }, { "x-amz-content-sha256", EMPTY }, { "x-amz-date", S3DATE } }, 3, EMPTY,
      "GET\n/\nlifecycle=\nhost:" S3HOST "\nx-amz-content-sha256:" EMPTY "\nx-amz-date:" S3DATE
      "\n\nhost;x-amz-content-sha256;x-amz-date\n" EMPTY,
      "AWS4-HMAC-SHA256\n" S3DATE "\n20130524/us-east-1/s3/aws4_request\n"
      "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
      "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543" },
    { "s3 GET bucket (list objects)", "GET", "/", { { "prefix", "J" }, { "max-keys", "2" } }, 2,
      { { "Host", S3HOST }, { "x-amz-content-sha256", EMPTY }, { "x-amz-date", S3DATE } }, 3, EMPTY,
      "GET\n/\nmax-keys=2&prefix=J\nhost:" S3HOST "\nx-amz-content-sha256:" EMPTY
      "\nx-amz-date:" S3DATE "\n\nhost;x-amz-content-sha256;x-amz-date\n" EMPTY,
      "AWS4-HMAC-SHA256\n" S3DATE "\n20130524/us-east-1/s3/aws4_request\n"
      "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
      "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7" },
};

static void run_vector(const vector *v, const char *date, const char *service, const char *ak,
                       const char *sk)
{
    cl_sigv4_req r = { .method = v->method, .path = v->path, .query = v->query,
                       .nb_query = v->nb_query, .headers = v->headers, .nb_headers = v->nb_headers,
                       .payload_hash = v->payload_hash, .amz_date = date, .region = "us-east-1",
                       .service = service, .access_key = ak, .secret_key = sk };
    cl_sigv4_out o;
    int ret = cl_sigv4_sign(&r, &o);
    CHECK(v->name, ret == 0);
    if (ret < 0)
        return;
    CHECK_STR(v->name, o.canonical_request, v->canonical);
    CHECK_STR(v->name, o.string_to_sign, v->sts);
    CHECK_STR(v->name, o.signature, v->signature);
    char auth[1024];
    const char *names = strrchr(v->canonical, '\n');
    /* the signed header list is the line before the payload hash */
    const char *start = names;
    while (start > v->canonical && start[-1] != '\n')
        start--;
    snprintf(auth, sizeof(auth), "AWS4-HMAC-SHA256 Credential=%s/%.8s/us-east-1/%s/aws4_request, "
             "SignedHeaders=%.*s, Signature=%s", ak, date, service, (int)(names - start), start,
             v->signature);
    CHECK_STR(v->name, o.authorization, auth);
    cl_sigv4_out_clear(&o);
}

static void test_helpers(void)
{
    char *s = cl_s3_uri_encode("a b/c~d%\xc3\xa9!'()*+=&", 1);
    CHECK_STR("uri encode path", s, "a%20b/c~d%25%C3%A9%21%27%28%29%2A%2B%3D%26");
    free(s);
    s = cl_s3_uri_encode("a/b", 0);
    CHECK_STR("uri encode value", s, "a%2Fb");
    free(s);
    cl_s3_kv q[] = { { "uploadId", "a/b+c==" }, { "partNumber", "2" }, { "uploads", NULL } };
    s = cl_s3_canonical_query(q, 3);
    CHECK_STR("canonical query", s, "partNumber=2&uploadId=a%2Fb%2Bc%3D%3D&uploads=");
    free(s);
    s = cl_s3_canonical_query(NULL, 0);
    CHECK_STR("empty query", s, "");
    free(s);
    char d[17];
    cl_s3_amz_date(1369353600, d);
    CHECK_STR("amz date", d, "20130524T000000Z");

    const int64_t MiB = 1024 * 1024;
    CHECK("part size default", cl_s3_part_size(100 * MiB, 0) == 8 * MiB);
    CHECK("part size min 5 MiB", cl_s3_part_size(100 * MiB, 5 * MiB) == 5 * MiB);
    CHECK("part size 10000 parts", cl_s3_part_size(200000 * MiB, 0) == 20 * MiB);
    int64_t big = 5LL * 1024 * 1024 * MiB - 3, ps = cl_s3_part_size(big, 0);
    CHECK("part size 5 TiB", (big + ps - 1) / ps <= 10000 && ps % MiB == 0);

    const char *ini = "# comment\n[default]\naws_access_key_id = AKID1\n"
                      "aws_secret_access_key=SECRET1  \n\n[profile other]\nregion = eu-west-3\n"
                      "[other]\naws_access_key_id=AKID2\n";
    s = cl_s3_ini_get(ini, "default", "aws_secret_access_key");
    CHECK_STR("ini default secret", s, "SECRET1");
    free(s);
    s = cl_s3_ini_get(ini, "profile other", "region");
    CHECK_STR("ini config-style section", s, "eu-west-3");
    free(s);
    s = cl_s3_ini_get(ini, "other", "aws_access_key_id");
    CHECK_STR("ini credentials-style section", s, "AKID2");
    free(s);
    CHECK("ini missing", cl_s3_ini_get(ini, "default", "region") == NULL);

    CHECK_STR("cache media", cl_s3_cache_control("a/b.mp4", "video/mp4"), "public, max-age=31536000");
    CHECK_STR("cache manifest", cl_s3_cache_control("manifest.json", "application/json"),
              "public, max-age=60");
    CHECK_STR("cache playlist", cl_s3_cache_control("hls/master.m3u8", NULL), "public, max-age=60");

    cl_sigv4_req bad = { .method = "GET", .path = "no-slash" };
    cl_sigv4_out o;
    CHECK("sign rejects incomplete input", cl_sigv4_sign(&bad, &o) < 0);
}

/* Destinations, addressing and credentials the AWS way (s3_config.c). */
static void test_config(void)
{
    static const char *vars[] = { "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION",
                                   "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_S3_FORCE_PATH_STYLE",
                                   "AWS_S3_ADDRESSING_STYLE", "AWS_CA_BUNDLE", "AWS_ACCESS_KEY_ID",
                                   "AWS_SECRET_ACCESS_KEY", "CLIPLINE_S3_PART_SIZE" };
    for (size_t i = 0; i < sizeof(vars) / sizeof(*vars); i++)
        unsetenv(vars[i]);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
    cl_s3_config cfg;
    CHECK("no credentials is a config error", cl_s3_config_load(NULL, "bucket/p", &cfg) == CLIPLINE_ERROR_CONFIG);
    cl_s3_config_clear(&cfg);

    setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "SECRET", 1);
    CHECK("virtual-host default", cl_s3_config_load(NULL, "my-bucket/a/b/", &cfg) == 0);
    CHECK_STR("virtual-host host", cfg.host, "my-bucket.s3.us-east-1.amazonaws.com");
    CHECK_STR("virtual-host base", cfg.base_path, "");
    CHECK_STR("prefix trimmed", cfg.prefix, "a/b");
    CHECK_STR("https by default", cfg.scheme, "https");
    cl_s3_config_clear(&cfg);

    setenv("AWS_REGION", "eu-west-3", 1);
    setenv("AWS_S3_FORCE_PATH_STYLE", "true", 1);
    CHECK("forced path-style", cl_s3_config_load(NULL, "my-bucket", &cfg) == 0);
    CHECK_STR("forced path-style host", cfg.host, "s3.eu-west-3.amazonaws.com");
    CHECK_STR("forced path-style base", cfg.base_path, "/my-bucket");
    CHECK_STR("no prefix", cfg.prefix, "");
    cl_s3_config_clear(&cfg);
    unsetenv("AWS_S3_FORCE_PATH_STYLE");

    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4568", 1);
    CHECK("IP endpoint", cl_s3_config_load(NULL, "clips/x", &cfg) == 0);
    CHECK("IP endpoint is path-style", cfg.path_style == 1);
    CHECK_STR("IP endpoint host", cfg.host, "127.0.0.1:4568");
    CHECK_STR("IP endpoint scheme", cfg.scheme, "http");
    cl_s3_config_clear(&cfg);

    setenv("AWS_ENDPOINT_URL", "https://minio.example.org:9000/", 1);
    CHECK("named endpoint", cl_s3_config_load(NULL, "clips", &cfg) == 0);
    CHECK_STR("named endpoint is virtual-host", cfg.host, "clips.minio.example.org:9000");
    cl_s3_config_clear(&cfg);
    CHECK("bad bucket", cl_s3_config_load(NULL, "Bad_Bucket!/x", &cfg) == CLIPLINE_ERROR_CONFIG);
    cl_s3_config_clear(&cfg);
    setenv("AWS_ENDPOINT_URL", "ftp://127.0.0.1", 1);
    CHECK("bad endpoint", cl_s3_config_load(NULL, "clips", &cfg) == CLIPLINE_ERROR_CONFIG);
    cl_s3_config_clear(&cfg);
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_REGION");
}

int main(void)
{
    for (size_t i = 0; i < sizeof(suite) / sizeof(*suite); i++)
        run_vector(&suite[i], "20150830T123600Z", "service", "AKIDEXAMPLE",
                   "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    for (size_t i = 0; i < sizeof(s3doc) / sizeof(*s3doc); i++)
        run_vector(&s3doc[i], S3DATE, "s3", "AKIAIOSFODNN7EXAMPLE",
                   "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    test_helpers();
    test_config();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("sigv4: %zu suite vectors and %zu S3 examples match\n", sizeof(suite) / sizeof(*suite),
           sizeof(s3doc) / sizeof(*s3doc));
    return 0;
}
