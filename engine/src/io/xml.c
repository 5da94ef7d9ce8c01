/* Streaming XML reader: xmlTextReader walks the document node by node (it
 * frees what it has passed, so memory stays flat) and this file matches the
 * element chain against the descriptor's paths incrementally: per depth, one
 * bit per record-path step and one flag per field say which prefix of the
 * path the element at that depth completes. */
#include "io/xml.h"
#include "core/buf.h"

#include <libxml/parser.h>
#include <libxml/xmlreader.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 256
#define MAX_RECORD_STEPS 32
#define DEFAULT_MAX_RECORD ((size_t)16 * 1024 * 1024)
/* The parser runs ahead of the records handed out by what it was last fed;
 * on a well-formedness error the records it completed in that stretch are
 * not handed out (the reader gives nothing reliable after an error). Small
 * reads keep that stretch short. */
#define READ_PIECE 256
/* No network, nothing loaded from outside the file (no DTD, no external
 * entity), entities left as references (no NOENT), no XML_PARSE_HUGE. */
#define PARSE_OPTS (XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_COMPACT | XML_PARSE_BIG_LINES)

static const char XML_NS[] = "http://www.w3.org/XML/1998/namespace";

typedef struct step {
    char *uri, *local;              /* uri NULL = no namespace */
    char *pattr, *pattr_uri, *pval; /* predicate [@pattr='pval'], pattr NULL = none */
} step;

typedef struct xpath {
    int abs;
    step *steps;
    size_t n;
    char *attr, *attr_uri; /* the value is this attribute of the last step (or the record) */
} xpath;

enum { RUNNING, DONE, FAILED };

typedef struct xml_reader {
    impex_read_fn rd;
    void *ctx;
    uint64_t bytes;
    int io_failed;
    impex_err io_err;
    xmlTextReaderPtr tr;

    xpath rec;
    xpath *paths;
    size_t nf;
    int *multi;
    char **names;
    size_t max_rec;

    uint32_t *recmask;    /* per depth: record-path steps the element there completes */
    unsigned char *alive; /* per depth x field: the element continues the field's path */
    int *cap_depth;       /* per field: depth of the element whose text it takes, -1 none */
    size_t ncap;
    impex_buf *vals; /* per field: the record's value, or the inherited one (absolute) */
    unsigned *count; /* per field: occurrences in the record */
    int rec_depth;   /* depth of the open record element, -1 outside */
    int skipping;    /* the open record is before the resume point */
    uint64_t rec_line;
    size_t rec_bytes;
    int reject_col;
    char reject[256]; /* "" = the record is fine */

    uint64_t number;  /* row number of the last row handed out (header = 1) */
    uint64_t skip_to; /* rows up to this one are skipped (resume) */
    int header_done;
    int state;
    impex_err fail;

    int xerr; /* the parser reported an error */
    int xcode, xline, xcol;
    char xmsg[400];

    impex_field *fields;
    impex_row row;
} xml_reader;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_libxml(void)
{
    xmlInitParser();
}

void impex_xml_init(void)
{
    pthread_once(&init_once, init_libxml);
}

/* --- paths ---------------------------------------------------------------------- */

static int name_char(char ch)
{
    return ch && !strchr("/[]@=:'\" \t\r\n()*", ch);
}

/* Reads [prefix:]local at *p. */
static int read_qname(const char **p, const char **pre, size_t *npre, const char **loc,
                      size_t *nloc)
{
    const char *s = *p;
    while (name_char(*s))
        s++;
    *pre = NULL;
    *npre = 0;
    if (*s == ':') {
        *pre = *p;
        *npre = (size_t)(s - *p);
        const char *l = ++s;
        while (name_char(*s))
            s++;
        *loc = l;
        *nloc = (size_t)(s - l);
        if (!*npre) return -1;
    } else {
        *loc = *p;
        *nloc = (size_t)(s - *p);
    }
    *p = s;
    return *nloc ? 0 : -1;
}

/* The URI a prefix stands for (prefix NULL: unprefixed element, or attribute). */
static int resolve(const char *pre, size_t npre, int element, const impex_xml_ns *ns, size_t nns,
                   const char **uri)
{
    *uri = NULL;
    if (!pre) {
        if (!element) return 0;
        for (size_t i = 0; i < nns; i++)
            if (!ns[i].prefix[0]) *uri = ns[i].uri;
        return 0;
    }
    if (npre == 3 && !memcmp(pre, "xml", 3)) {
        *uri = XML_NS;
        return 0;
    }
    for (size_t i = 0; i < nns; i++)
        if (strlen(ns[i].prefix) == npre && !memcmp(ns[i].prefix, pre, npre)) {
            *uri = ns[i].uri;
            return 0;
        }
    return -1;
}

static void path_free(xpath *x)
{
    for (size_t i = 0; i < x->n; i++) {
        free(x->steps[i].uri);
        free(x->steps[i].local);
        free(x->steps[i].pattr);
        free(x->steps[i].pattr_uri);
        free(x->steps[i].pval);
    }
    free(x->steps);
    free(x->attr);
    free(x->attr_uri);
    memset(x, 0, sizeof *x);
}

static char *dupn(const char *s, size_t n, int *oom)
{
    if (!s) return NULL;
    char *d = strndup(s, n);
    if (!d) *oom = 1;
    return d;
}

/* Parses src into x; IMPEX_EDESC naming the problem, or IMPEX_ENOMEM. */
static int path_compile(const char *src, int is_record, const impex_xml_ns *ns, size_t nns,
                        xpath *x, impex_err *err)
{
    const char *p = src, *why = NULL;
    const char *pre, *loc, *uri;
    size_t npre, nloc;
    int oom = 0;
    memset(x, 0, sizeof *x);
    if (*p == '/') {
        x->abs = 1;
        p++;
    }
    if (!*p) {
        why = "is empty";
        goto bad;
    }
    for (;;) {
        if (*p == '@') {
            p++;
            if (is_record) {
                why = "names an attribute: a record path names elements only";
                goto bad;
            }
            if (read_qname(&p, &pre, &npre, &loc, &nloc)) goto syntax;
            if (resolve(pre, npre, 0, ns, nns, &uri)) goto prefix;
            if (*p) goto syntax; /* an attribute ends the path */
            x->attr = dupn(loc, nloc, &oom);
            x->attr_uri = dupn(uri, uri ? strlen(uri) : 0, &oom);
            if (x->abs && !x->n) {
                why = "names an attribute of no element";
                goto bad;
            }
            break;
        }
        if (read_qname(&p, &pre, &npre, &loc, &nloc)) goto syntax;
        if (x->n == MAX_RECORD_STEPS) {
            why = "has more than 32 steps";
            goto bad;
        }
        step *st = realloc(x->steps, (x->n + 1) * sizeof *st);
        if (!st) goto nomem;
        x->steps = st;
        st = &x->steps[x->n++];
        memset(st, 0, sizeof *st);
        if (resolve(pre, npre, 1, ns, nns, &uri)) goto prefix;
        st->local = dupn(loc, nloc, &oom);
        st->uri = dupn(uri, uri ? strlen(uri) : 0, &oom);
        if (*p == '[') {
            if (is_record) {
                why = "has a predicate: a record path names elements only";
                goto bad;
            }
            p++;
            if (*p++ != '@' || read_qname(&p, &pre, &npre, &loc, &nloc) || *p++ != '=') goto syntax;
            if (resolve(pre, npre, 0, ns, nns, &uri)) goto prefix;
            char q = *p++;
            const char *end = q == '\'' || q == '"' ? strchr(p, q) : NULL;
            if (!end || end[1] != ']') goto syntax;
            st->pattr = dupn(loc, nloc, &oom);
            st->pattr_uri = dupn(uri, uri ? strlen(uri) : 0, &oom);
            st->pval = dupn(p, (size_t)(end - p), &oom);
            p = end + 2;
        }
        if (oom) goto nomem;
        if (!*p) break;
        if (*p++ != '/' || !*p) goto syntax;
    }
    if (oom) goto nomem;
    return IMPEX_OK;
nomem:
    path_free(x);
    return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
prefix:
    path_free(x);
    return impex_err_set(err, IMPEX_EDESC, "path '%s': prefix '%.*s' is not declared in namespaces",
                         src, (int)npre, pre);
syntax:
    path_free(x);
    return impex_err_set(err, IMPEX_EDESC,
                         "path '%s': cannot read it at '%s' (forms: A/B, @attr, A/@attr, "
                         "A[@attr='v']/B, p:A, /absolute/A)",
                         src, p);
bad:
    path_free(x);
    return impex_err_set(err, IMPEX_EDESC, "path '%s' %s", src, why);
}

int impex_xml_path_check(const char *path, int is_record, const impex_xml_ns *ns, size_t nns,
                         impex_err *err)
{
    xpath x;
    int rc = path_compile(path, is_record, ns, nns, &x, err);
    if (!rc) path_free(&x);
    return rc;
}

/* --- matching ------------------------------------------------------------------- */

static char *get_attr(xml_reader *x, const char *local, const char *uri)
{
    return (char *)(uri ? xmlTextReaderGetAttributeNs(x->tr, (const xmlChar *)local,
                                                      (const xmlChar *)uri)
                        : xmlTextReaderGetAttribute(x->tr, (const xmlChar *)local));
}

static int same(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* Whether the current element is the one step names. */
static int matches(xml_reader *x, const step *st)
{
    const char *local = (const char *)xmlTextReaderConstLocalName(x->tr);
    const char *uri = (const char *)xmlTextReaderConstNamespaceUri(x->tr);
    if (!local || strcmp(local, st->local) || !same(uri, st->uri)) return 0;
    if (!st->pattr) return 1;
    char *v = get_attr(x, st->pattr, st->pattr_uri);
    int ok = v && !strcmp(v, st->pval);
    xmlFree(v);
    return ok;
}

/* --- the parser's errors and input --------------------------------------------- */

static void on_xml_error(void *data, xmlErrorPtr e)
{
    xml_reader *x = data;
    if (!e || e->level < XML_ERR_ERROR || x->xerr) return;
    x->xerr = 1;
    /* Nothing after the first error is built (a namespace error, say, is
     * not fatal to libxml2): what the reader still hands out was parsed
     * before it. */
    if (e->ctxt) ((xmlParserCtxtPtr)e->ctxt)->disableSAX = 1;
    x->xcode = e->code;
    x->xline = e->line;
    x->xcol = e->int2;
    snprintf(x->xmsg, sizeof x->xmsg, "%s", e->message ? e->message : "unknown error");
    size_t n = strlen(x->xmsg);
    while (n && (x->xmsg[n - 1] == '\n' || x->xmsg[n - 1] == ' '))
        x->xmsg[--n] = '\0';
}

static int io_read(void *ctx, char *buf, int len)
{
    xml_reader *x = ctx;
    if (x->io_failed) return -1;
    ssize_t n = x->rd(x->ctx, buf, (size_t)len < READ_PIECE ? (size_t)len : READ_PIECE, &x->io_err);
    if (n < 0) {
        x->io_failed = 1;
        return -1;
    }
    x->bytes += (uint64_t)n;
    return (int)n;
}

static int io_close(void *ctx)
{
    (void)ctx;
    return 0;
}

static int fail(xml_reader *x, impex_err *err)
{
    x->state = FAILED;
    if (err) *err = x->fail;
    return x->fail.code;
}

/* Fills x->fail: code, message, and the location (the record being read). */
static int set_fail(xml_reader *x, int code, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int set_fail(xml_reader *x, int code, uint64_t line, const char *fmt, ...)
{
    va_list ap;
    impex_err_clear(&x->fail);
    x->fail.code = code;
    va_start(ap, fmt);
    vsnprintf(x->fail.msg, sizeof x->fail.msg, fmt, ap);
    va_end(ap);
    x->fail.row = x->number + 1;
    x->fail.line = line;
    return code;
}

static int parse_error(xml_reader *x)
{
    if (x->io_failed) {
        x->fail = x->io_err;
        if (!x->fail.code) x->fail.code = IMPEX_EIO;
        return x->fail.code;
    }
    if (!x->xerr)
        return set_fail(x, IMPEX_EFORMAT, (uint64_t)xmlTextReaderGetParserLineNumber(x->tr),
                        "XML parser error");
    char where[64];
    snprintf(where, sizeof where, "column %d: ", x->xcol);
    if (x->xcode == XML_ERR_ENTITY_LOOP || x->xcode == XML_ERR_ENTITY_BOUNDARY)
        return set_fail(x, IMPEX_ELIMIT, (uint64_t)xmlTextReaderGetParserLineNumber(x->tr),
                        "entity expansion limit exceeded (%s)", x->xmsg);
    /* libxml2's own limits (XML_PARSE_HUGE is off), worded as ours. */
    uint64_t at = (uint64_t)x->xline;
    if (strstr(x->xmsg, "Excessive depth"))
        return set_fail(x, IMPEX_ELIMIT, at, "elements nested deeper than %d levels", MAX_DEPTH);
    if (strstr(x->xmsg, "huge text node"))
        return set_fail(x, IMPEX_ELIMIT, at, "a text over 10,000,000 bytes (column %d)", x->xcol);
    if (!x->bytes) return set_fail(x, IMPEX_EFORMAT, 1, "the file is empty");
    if (x->xcode == XML_ERR_NO_MEMORY) {
        impex_err_clear(&x->fail);
        return impex_err_set(&x->fail, IMPEX_ENOMEM, "out of memory");
    }
    return set_fail(x, IMPEX_EFORMAT, (uint64_t)x->xline, "not well-formed XML: %s%s", where,
                    x->xmsg);
}

/* The parser's error: located by its line only, since the parser runs
 * ahead of the records handed out. */
static int parse_failed(xml_reader *x)
{
    int rc = parse_error(x);
    x->fail.row = 0;
    return rc;
}

/* --- records -------------------------------------------------------------------- */

static void reject_record(xml_reader *x, size_t f, const char *why)
{
    if (x->reject[0]) return; /* the first reason is the one reported */
    snprintf(x->reject, sizeof x->reject, "field %s: %s", x->names[f], why);
    x->reject_col = (int)f;
}

/* A new occurrence of field f's element or attribute. */
static int begin_value(xml_reader *x, size_t f)
{
    if (x->paths[f].abs) {
        impex_buf_reset(&x->vals[f]); /* a later header value replaces the earlier one */
        return IMPEX_OK;
    }
    if (x->count[f]++ == 0) return IMPEX_OK;
    if (!x->multi[f])
        reject_record(x, f, "element repeated (declare the field multi = true to keep a list)");
    return impex_buf_putc(&x->vals[f], '\r'); /* a list; shown so in a rejected record too */
}

static int add_text(xml_reader *x, size_t f, const char *s, size_t len)
{
    size_t have = x->paths[f].abs ? x->vals[f].len : x->rec_bytes;
    if (have + len > x->max_rec)
        return set_fail(x, IMPEX_ELIMIT, x->rec_line, "%s holds more than %zu bytes of values",
                        x->paths[f].abs ? "a header value" : "the record", x->max_rec);
    if (!x->paths[f].abs) x->rec_bytes += len;
    return impex_buf_append(&x->vals[f], s, len);
}

static int take_attr(xml_reader *x, size_t f)
{
    char *v = get_attr(x, x->paths[f].attr, x->paths[f].attr_uri);
    if (!v) return IMPEX_OK;
    int rc = begin_value(x, f);
    if (!rc) rc = add_text(x, f, v, strlen(v));
    xmlFree(v);
    return rc;
}

static int open_element(xml_reader *x, int d)
{
    if (d >= MAX_DEPTH) {
        set_fail(x, IMPEX_ELIMIT, (uint64_t)xmlTextReaderGetParserLineNumber(x->tr),
                 "elements nested deeper than %d levels", MAX_DEPTH);
        x->fail.row = 0;
        return IMPEX_ELIMIT;
    }
    uint32_t m = 0;
    for (size_t j = 0; j < x->rec.n; j++) {
        if (x->rec.abs && j != (size_t)d) continue;
        if (j && !(d && (x->recmask[d - 1] & (1u << (j - 1))))) continue;
        if (matches(x, &x->rec.steps[j])) m |= 1u << j;
    }
    x->recmask[d] = m;
    if (x->rec_depth < 0 && (m & (1u << (x->rec.n - 1)))) {
        x->rec_depth = d;
        /* The node's own line: the parser itself may have read ahead. */
        long line = xmlGetLineNo(xmlTextReaderCurrentNode(x->tr));
        x->rec_line = line > 0 ? (uint64_t)line : (uint64_t)xmlTextReaderGetParserLineNumber(x->tr);
        x->skipping = x->number + 1 <= x->skip_to;
        x->rec_bytes = 0;
        x->reject[0] = '\0';
        for (size_t f = 0; f < x->nf; f++)
            if (!x->paths[f].abs) {
                impex_buf_reset(&x->vals[f]);
                x->count[f] = 0;
            }
    }
    unsigned char *alive = x->alive + (size_t)d * x->nf;
    for (size_t f = 0; f < x->nf; f++) {
        const xpath *p = &x->paths[f];
        int rc, base = 0;
        alive[f] = 0;
        if (!p->abs) {
            if (x->rec_depth < 0 || x->skipping) continue;
            if (d == x->rec_depth) {
                if (!p->n && (rc = take_attr(x, f))) return rc;
                continue;
            }
            base = x->rec_depth + 1;
        }
        size_t idx = (size_t)(d - base);
        if (idx >= p->n || (idx && !x->alive[(size_t)(d - 1) * x->nf + f])) continue;
        if (!matches(x, &p->steps[idx])) continue;
        alive[f] = 1;
        if (idx + 1 < p->n) continue;
        if (p->attr) {
            if ((rc = take_attr(x, f))) return rc;
        } else {
            if ((rc = begin_value(x, f))) return rc;
            x->cap_depth[f] = d;
            x->ncap++;
        }
    }
    return IMPEX_OK;
}

/* Returns 1 when the record element closed (a row is ready, unless skipped). */
static int close_element(xml_reader *x, int d)
{
    if (x->ncap)
        for (size_t f = 0; f < x->nf; f++)
            if (x->cap_depth[f] == d) {
                x->cap_depth[f] = -1;
                x->ncap--;
            }
    if (d != x->rec_depth) return 0;
    x->rec_depth = -1;
    x->number++;
    return 1;
}

static int on_text(xml_reader *x, int depth, const char *s, size_t len)
{
    for (size_t f = 0; x->ncap && f < x->nf; f++) {
        if (x->cap_depth[f] < 0 || depth <= x->cap_depth[f]) continue;
        int rc = add_text(x, f, s, len);
        if (rc) return rc;
    }
    return IMPEX_OK;
}

/* An entity the document declares is never expanded (external ones could
 * read files, internal ones multiply): a record that uses one is rejected. */
static void on_entity(xml_reader *x, int depth)
{
    for (size_t f = 0; x->ncap && f < x->nf; f++) {
        if (x->cap_depth[f] < 0 || depth <= x->cap_depth[f] || x->paths[f].abs) continue;
        char why[200];
        const char *name = (const char *)xmlTextReaderConstName(x->tr);
        snprintf(why, sizeof why,
                 "entity &%.100s; is not expanded (entities declared in a DTD never are)",
                 name ? name : "?");
        reject_record(x, f, why);
    }
}

static void make_row(xml_reader *x)
{
    for (size_t f = 0; f < x->nf; f++) {
        x->fields[f].ptr = x->vals[f].ptr ? x->vals[f].ptr : "";
        x->fields[f].len = x->vals[f].len;
    }
    uint64_t line = (uint64_t)xmlTextReaderGetParserLineNumber(x->tr);
    x->row = (impex_row){.fields = x->fields,
                         .nfields = x->nf,
                         .number = x->number,
                         .line = x->rec_line,
                         .offset = x->bytes,
                         .end = x->bytes,
                         .next_line = line,
                         .after = {{x->bytes, x->number, line}},
                         .reject = x->reject[0] ? x->reject : NULL,
                         .reject_column = x->reject[0] ? x->reject_col : -1};
}

static int xml_next(void *impl, impex_row **row, impex_err *err)
{
    xml_reader *x = impl;
    *row = NULL;
    if (x->state == FAILED) return fail(x, err);
    if (!x->header_done) {
        x->header_done = 1;
        for (size_t f = 0; f < x->nf; f++)
            x->fields[f] = (impex_field){x->names[f], strlen(x->names[f])};
        x->row = (impex_row){.fields = x->fields,
                             .nfields = x->nf,
                             .number = 1,
                             .line = 1,
                             .next_line = 1,
                             .after = {{0, 1, 1}},
                             .reject_column = -1};
        x->number = 1;
        *row = &x->row;
        return IMPEX_OK;
    }
    if (x->state == DONE) return IMPEX_OK;
    for (;;) {
        int r = xmlTextReaderRead(x->tr);
        if (r == 0 && !x->xerr && !x->io_failed) {
            x->state = DONE;
            return IMPEX_OK;
        }
        if (r <= 0) {
            parse_failed(x);
            return fail(x, err);
        }
        int type = xmlTextReaderNodeType(x->tr), d = xmlTextReaderDepth(x->tr), rc = 0, ended = 0;
        switch (type) {
        case XML_READER_TYPE_ELEMENT:
            rc = open_element(x, d);
            if (!rc && xmlTextReaderIsEmptyElement(x->tr)) ended = close_element(x, d);
            break;
        case XML_READER_TYPE_END_ELEMENT:
            ended = close_element(x, d);
            break;
        case XML_READER_TYPE_TEXT:
        case XML_READER_TYPE_CDATA:
            if (x->ncap) {
                const char *v = (const char *)xmlTextReaderConstValue(x->tr);
                rc = on_text(x, d, v ? v : "", v ? strlen(v) : 0);
            }
            break;
        case XML_READER_TYPE_ENTITY_REFERENCE:
            on_entity(x, d);
            break;
        default:
            break; /* whitespace-only text, comments, processing instructions */
        }
        if (rc == IMPEX_ENOMEM) {
            impex_err_clear(&x->fail);
            impex_err_set(&x->fail, rc, "out of memory");
        }
        if (rc) return fail(x, err);
        if (x->xerr) { /* never hand out what follows an error */
            parse_failed(x);
            return fail(x, err);
        }
        if (ended && x->number > x->skip_to) {
            make_row(x);
            *row = &x->row;
            return IMPEX_OK;
        }
    }
}

static int xml_seek(void *impl, const impex_token *t, impex_err *err)
{
    xml_reader *x = impl;
    (void)err;
    x->skip_to = t->pos[1];
    return IMPEX_OK;
}

static uint64_t xml_bytes(const void *impl)
{
    return ((const xml_reader *)impl)->bytes;
}

static void xml_close(void *impl)
{
    xml_reader *x = impl;
    if (!x) return;
    if (x->tr) xmlFreeTextReader(x->tr);
    path_free(&x->rec);
    for (size_t f = 0; f < x->nf; f++) {
        if (x->paths) path_free(&x->paths[f]);
        if (x->names) free(x->names[f]);
        if (x->vals) impex_buf_free(&x->vals[f]);
    }
    free(x->paths);
    free(x->names);
    free(x->vals);
    free(x->multi);
    free(x->recmask);
    free(x->alive);
    free(x->cap_depth);
    free(x->count);
    free(x->fields);
    free(x);
}

static const impex_reader_ops xml_ops = {"xml", xml_next, xml_seek, xml_bytes, xml_close};

static int default_path(const char *name, const impex_xml_spec *spec, xpath *p, impex_err *err)
{
    /* The field's name as a child element: taken literally, not parsed. */
    memset(p, 0, sizeof *p);
    const char *uri = NULL;
    resolve(NULL, 0, 1, spec->ns, spec->nns, &uri);
    if (!(p->steps = calloc(1, sizeof *p->steps))) goto nomem;
    p->n = 1;
    if (!(p->steps[0].local = strdup(name))) goto nomem;
    if (uri && !(p->steps[0].uri = strdup(uri))) goto nomem;
    return IMPEX_OK;
nomem:
    path_free(p);
    return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
}

int impex_reader_open_xml(impex_read_fn rd, void *ctx, const impex_xml_spec *spec,
                          impex_reader **out, impex_err *err)
{
    impex_xml_init();
    *out = NULL;
    size_t n = spec->nfields;
    impex_reader *r = calloc(1, sizeof *r);
    xml_reader *x = calloc(1, sizeof *x);
    if (!r || !x) goto nomem;
    x->rd = rd;
    x->ctx = ctx;
    x->nf = n;
    x->rec_depth = -1;
    x->max_rec = spec->max_record_bytes ? spec->max_record_bytes : DEFAULT_MAX_RECORD;
    x->paths = calloc(n + 1, sizeof *x->paths);
    x->names = calloc(n + 1, sizeof *x->names);
    x->vals = calloc(n + 1, sizeof *x->vals);
    x->multi = calloc(n + 1, sizeof *x->multi);
    x->recmask = calloc(MAX_DEPTH + 1, sizeof *x->recmask);
    x->alive = calloc((MAX_DEPTH + 1) * (n + 1), 1);
    x->cap_depth = calloc(n + 1, sizeof *x->cap_depth);
    x->count = calloc(n + 1, sizeof *x->count);
    x->fields = calloc(n + 1, sizeof *x->fields);
    if (!x->paths || !x->names || !x->vals || !x->multi || !x->recmask || !x->alive ||
        !x->cap_depth || !x->count || !x->fields)
        goto nomem;
    int rc = path_compile(spec->record, 1, spec->ns, spec->nns, &x->rec, err);
    for (size_t f = 0; !rc && f < n; f++) {
        x->cap_depth[f] = -1;
        x->multi[f] = spec->multi ? spec->multi[f] : 0;
        if (!(x->names[f] = strdup(spec->names[f]))) goto nomem;
        rc = spec->paths && spec->paths[f]
                 ? path_compile(spec->paths[f], 0, spec->ns, spec->nns, &x->paths[f], err)
                 : default_path(spec->names[f], spec, &x->paths[f], err);
    }
    if (rc) {
        xml_close(x);
        free(r);
        return rc;
    }
    x->tr = xmlReaderForIO(io_read, io_close, x, NULL, NULL, PARSE_OPTS);
    if (!x->tr && x->io_failed) { /* it reads the first bytes to detect the encoding */
        rc = x->io_err.code ? x->io_err.code : IMPEX_EIO;
        if (err) *err = x->io_err;
        xml_close(x);
        free(r);
        return rc;
    }
    if (!x->tr) goto nomem;
    xmlTextReaderSetStructuredErrorHandler(x->tr, on_xml_error, x);
    r->ops = &xml_ops;
    r->impl = x;
    *out = r;
    return IMPEX_OK;
nomem:
    xml_close(x);
    free(r);
    return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
}
