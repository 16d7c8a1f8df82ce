/*
 * report.c: the run's reports for people and CI: `--report FILE.json` (per
 * item: status, outputs, timings, the error's class and message) and
 * `--junit FILE.xml` (a test case per clip output; a failed item's outputs
 * fail with its class and message). Both are written whole, atomically, at
 * the end of the run, also when it failed or was interrupted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavutil/error.h>

#include "core/util.h"
#include "orch.h"

static const char *kind_name(out_kind k)
{
    switch (k) {
    case OUT_MP4: return "video";
    case OUT_HLS: return "hls";
    case OUT_POSTER: return "poster";
    case OUT_SUBS: return "subtitles";
    case OUT_BURN: return "burned";
    }
    return "?";
}

void report_item(run_state *rs, const clip_job *cj, int ret, double seconds)
{
    if (!rs->o->report_path && !rs->o->junit_path)
        return;
    if (!rs->report && !(rs->report = json_array()))
        return;
    const char *status = ret >= 0 ? "ok" : ret == CLIPLINE_ERROR_INTERRUPTED ? "interrupted" : "failed";
    json_t *item = json_pack("{s:s,s:s,s:s}", "interview", cj->iv->id, "clip", cj->clip->name, "status", status);
    json_t *outs = json_array();
    if (!item || !outs) {
        json_decref(item);
        json_decref(outs);
        return;
    }
    for (int i = 0; cj->pl && i < cj->n; i++) {
        const planned *p = &cj->pl[i];
        const char *st = !p->build          ? "up to date"
                         : p->published     ? "built"
                         : rs->o->dry_run   ? "to build"
                         : ret >= 0         ? "built"
                                            : "failed";
        json_t *o = json_pack("{s:s,s:s,s:s}", "path", p->rel, "kind", kind_name(p->kind), "status", st);
        if (o && p->build && p->reason)
            json_object_set_new(o, "reason", json_string(p->reason));
        if (o && p->preset)
            json_object_set_new(o, "preset", json_string(p->preset->name));
        if (o && p->sub)
            json_object_set_new(o, "language", json_string(p->sub->lang));
        json_array_append_new(outs, o);
    }
    json_object_set_new(item, "outputs", outs);
    if (ret < 0)
        json_object_set_new(item, "error", json_pack("{s:s,s:i,s:s}", "class", clipline_error_class(ret),
                                                     "code", ret, "message", clipline_error_detail(rs->c)));
    json_object_set_new(item, "seconds", json_real(seconds));
    size_t i;
    json_t *old;
    json_array_foreach(rs->report, i, old) { /* an item tried again: its last attempt counts */
        if (!strcmp(json_string_value(json_object_get(old, "interview")), cj->iv->id) &&
            !strcmp(json_string_value(json_object_get(old, "clip")), cj->clip->name)) {
            json_array_remove(rs->report, i);
            break;
        }
    }
    json_array_append_new(rs->report, item);
}

static int write_json_report(run_state *rs, int ret, double seconds)
{
    json_t *items = rs->report ? json_incref(rs->report) : json_array();
    json_t *root = json_pack("{s:s,s:s,s:s,s:s,s:f,s:{s:i,s:i,s:i,s:i,s:i},s:o}", "clipline", rs->versions,
                             "job", rs->job.path ? rs->job.path : "", "status",
                             ret >= 0 ? "ok" : ret == CLIPLINE_ERROR_ITEMS_FAILED ? "items failed"
                                                                                   : clipline_error_class(ret),
                             "destination", rs->job.destination ? rs->job.destination : "", "seconds", seconds,
                             "summary", "items", rs->sum.items, "ok", rs->sum.items_ok, "failed",
                             rs->sum.items_failed, "outputs_built", rs->sum.outputs_built, "outputs_up_to_date",
                             rs->sum.outputs_skipped, "items", items);
    if (root && ret < 0 && ret != CLIPLINE_ERROR_ITEMS_FAILED) /* the job itself could not run */
        json_object_set_new(root, "error", json_pack("{s:s,s:s}", "class", clipline_error_class(ret), "message",
                                                     clipline_error_detail(rs->c)));
    char *text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
    json_decref(root);
    if (!text)
        return AVERROR(ENOMEM);
    size_t len = strlen(text);
    text[len] = '\n'; /* in place of the NUL: the file ends with a newline */
    int wret = cl_write_file_atomic(rs->o->report_path, text, len + 1);
    free(text);
    return wret;
}

/* XML text: &, <, >, " escaped; control characters other than tab and
 * newline (not allowed in XML 1.0) dropped. */
static void xml_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '&')
            fputs("&amp;", f);
        else if (ch == '<')
            fputs("&lt;", f);
        else if (ch == '>')
            fputs("&gt;", f);
        else if (ch == '"')
            fputs("&quot;", f);
        else if (ch >= 0x20 || ch == '\t' || ch == '\n')
            fputc(ch, f);
    }
}

static int write_junit(run_state *rs, int ret, double seconds)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return AVERROR(ENOMEM);
    int tests = 0, failures = 0;
    size_t n = rs->report ? json_array_size(rs->report) : 0;
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(rs->report, i);
        size_t no = json_array_size(json_object_get(item, "outputs"));
        int failed = strcmp(json_string_value(json_object_get(item, "status")), "ok") != 0;
        tests += no ? (int)no : 1;
        failures += failed ? (no ? (int)no : 1) : 0;
    }
    if (ret < 0 && ret != CLIPLINE_ERROR_ITEMS_FAILED && !n) {
        tests = 1; /* the job itself */
        failures = 1;
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"clipline ");
    xml_text(f, rs->job.path ? rs->job.path : "job");
    fprintf(f, "\" tests=\"%d\" failures=\"%d\" errors=\"0\" time=\"%.3f\">\n", tests, failures, seconds);
    if (ret < 0 && ret != CLIPLINE_ERROR_ITEMS_FAILED && !n) {
        fprintf(f, "    <testcase classname=\"job\" name=\"load\">\n      <failure type=\"%s\" message=\"",
                clipline_error_class(ret));
        xml_text(f, clipline_error_detail(rs->c));
        fprintf(f, "\"/>\n    </testcase>\n");
    }
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(rs->report, i), *outs = json_object_get(item, "outputs");
        json_t *err = json_object_get(item, "error");
        char cls[1100];
        snprintf(cls, sizeof(cls), "%s/%s", json_string_value(json_object_get(item, "interview")),
                 json_string_value(json_object_get(item, "clip")));
        double t = json_real_value(json_object_get(item, "seconds"));
        size_t no = json_array_size(outs);
        for (size_t k = 0; k < (no ? no : 1); k++) {
            json_t *o = no ? json_array_get(outs, k) : NULL;
            fprintf(f, "    <testcase classname=\"");
            xml_text(f, cls);
            fprintf(f, "\" name=\"");
            xml_text(f, o ? json_string_value(json_object_get(o, "path")) : "item");
            fprintf(f, "\" time=\"%.3f\">", no ? t / (double)no : t);
            const char *st = o ? json_string_value(json_object_get(o, "status")) : "failed";
            if (err && strcmp(st, "up to date") && strcmp(st, "built")) {
                fprintf(f, "\n      <failure type=\"");
                xml_text(f, json_string_value(json_object_get(err, "class")));
                fprintf(f, "\" message=\"");
                xml_text(f, json_string_value(json_object_get(err, "message")));
                fprintf(f, "\"/>\n    ");
            } else { /* built, or up to date (also in an item that failed elsewhere) */
                fprintf(f, "<system-out>%s</system-out>", st);
            }
            fprintf(f, "</testcase>\n");
        }
    }
    fprintf(f, "  </testsuite>\n</testsuites>\n");
    if (fclose(f) != 0) {
        free(buf);
        return AVERROR(ENOMEM);
    }
    int wret = cl_write_file_atomic(rs->o->junit_path, buf, len);
    free(buf);
    return wret;
}

/* The items in the job's order (built side by side, they finish in any). */
static void job_order(run_state *rs)
{
    json_t *sorted = json_array(), *it;
    if (!rs->report || !sorted) {
        json_decref(sorted);
        return;
    }
    for (int i = 0; i < rs->job.nb_interviews; i++)
        for (int k = 0; k < rs->job.interviews[i].nb_clips; k++) {
            size_t j;
            json_array_foreach(rs->report, j, it) {
                if (!strcmp(json_string_value(json_object_get(it, "interview")), rs->job.interviews[i].id) &&
                    !strcmp(json_string_value(json_object_get(it, "clip")), rs->job.interviews[i].clips[k].name)) {
                    json_array_append(sorted, it);
                    break;
                }
            }
        }
    if (json_array_size(sorted) == json_array_size(rs->report)) {
        json_decref(rs->report);
        rs->report = sorted;
    } else {
        json_decref(sorted);
    }
}

int report_write(run_state *rs, int ret, double seconds)
{
    int r1 = 0, r2 = 0;
    job_order(rs);
    if (rs->o->report_path && (r1 = write_json_report(rs, ret, seconds)) < 0)
        cl_log(rs->c, CLIPLINE_LOG_ERROR, "cannot write the report %s: %s", rs->o->report_path,
               clipline_strerror(r1));
    if (rs->o->junit_path && (r2 = write_junit(rs, ret, seconds)) < 0)
        cl_log(rs->c, CLIPLINE_LOG_ERROR, "cannot write the JUnit report %s: %s", rs->o->junit_path,
               clipline_strerror(r2));
    return r1 < 0 ? r1 : r2;
}
