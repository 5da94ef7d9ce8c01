#include "store/reject.h"

#include <stdlib.h>
#include <string.h>

#define REJECT_VERSION 1

uint64_t impex_reject_seq(size_t step, uint64_t row)
{
    return ((uint64_t)(step + 1) << 40) | (row & ((1ull << 40) - 1));
}

static int put_text(impex_buf *b, const char *p, size_t len)
{
    return impex_buf_put_varint(b, len) || impex_buf_append(b, p, len);
}

static int put_opt(impex_buf *b, impex_slice s)
{
    if (!s.ptr) return impex_buf_put_varint(b, 0);
    return impex_buf_put_varint(b, (uint64_t)s.len + 1) || impex_buf_append(b, s.ptr, s.len);
}

int impex_reject_encode_fields(const impex_slice *fields, size_t n, impex_buf *out)
{
    /* Every accepted row may pass here (the writer may still reject it): one
     * reservation, then the bytes written in place. */
    size_t budget = IMPEX_REJECT_KEEP_FIELDS, need = 10;
    for (size_t i = 0; i < n; i++) {
        size_t keep = fields[i].len < budget ? fields[i].len : budget;
        budget -= keep;
        need += 20 + keep;
    }
    if (impex_buf_reserve(out, need)) return IMPEX_ENOMEM;
    char *p = impex_put_varint(out->ptr + out->len, n);
    budget = IMPEX_REJECT_KEEP_FIELDS;
    for (size_t i = 0; i < n; i++) {
        size_t keep = fields[i].len < budget ? fields[i].len : budget;
        budget -= keep;
        p = impex_put_varint(p, fields[i].len);
        p = impex_put_varint(p, keep);
        if (keep) memcpy(p, fields[i].ptr, keep);
        p += keep;
    }
    out->len = (size_t)(p - out->ptr);
    out->ptr[out->len] = '\0';
    return IMPEX_OK;
}

int impex_reject_encode_with(const impex_reject *r, impex_slice encoded_fields, impex_buf *out)
{
    impex_slice value = r->value;
    uint64_t value_len = r->value_len ? r->value_len : value.len;
    if (value.ptr && value.len > IMPEX_REJECT_KEEP_VALUE) value.len = IMPEX_REJECT_KEEP_VALUE;
    int rc = impex_buf_putc(out, REJECT_VERSION);
    rc = rc || impex_buf_put_varint(out, r->step) || impex_buf_put_varint(out, r->row) ||
         impex_buf_put_varint(out, r->line);
    rc = rc || put_text(out, r->file.ptr, r->file.len) || put_opt(out, r->column) ||
         put_opt(out, value) || impex_buf_put_varint(out, value_len) ||
         put_text(out, r->reason.ptr, r->reason.len);
    if (!rc) {
        if (encoded_fields.len)
            rc = impex_buf_append(out, encoded_fields.ptr, encoded_fields.len);
        else
            rc = impex_buf_put_varint(out, 0);
    }
    return rc ? IMPEX_ENOMEM : IMPEX_OK;
}

int impex_reject_encode(const impex_reject *r, impex_buf *out)
{
    impex_buf f = {0};
    int rc = impex_reject_encode_fields(r->fields, r->nfields, &f);
    if (!rc) rc = impex_reject_encode_with(r, (impex_slice){f.ptr, f.len}, out);
    impex_buf_free(&f);
    return rc;
}

static int get_text(const char **p, const char *end, impex_slice *out)
{
    uint64_t n;
    if (impex_get_varint(p, end, &n) || n > (uint64_t)(end - *p)) return -1;
    out->ptr = *p;
    out->len = (size_t)n;
    *p += n;
    return 0;
}

static int get_opt(const char **p, const char *end, impex_slice *out)
{
    uint64_t n;
    if (impex_get_varint(p, end, &n)) return -1;
    if (!n) {
        *out = (impex_slice){NULL, 0};
        return 0;
    }
    if (n - 1 > (uint64_t)(end - *p)) return -1;
    out->ptr = *p;
    out->len = (size_t)(n - 1);
    *p += n - 1;
    return 0;
}

void impex_reject_free(impex_reject *r)
{
    free(r->fields);
    free(r->field_len);
    r->fields = NULL;
    r->field_len = NULL;
    r->nfields = 0;
}

int impex_reject_decode(impex_slice rec, impex_reject *out, impex_err *err)
{
    const char *p = rec.ptr, *end = rec.ptr + rec.len;
    uint64_t step, n;
    memset(out, 0, sizeof *out);
    if (rec.len < 1 || (unsigned char)*p++ != REJECT_VERSION) goto bad;
    if (impex_get_varint(&p, end, &step) || impex_get_varint(&p, end, &out->row) ||
        impex_get_varint(&p, end, &out->line) || get_text(&p, end, &out->file) ||
        get_opt(&p, end, &out->column) || get_opt(&p, end, &out->value) ||
        impex_get_varint(&p, end, &out->value_len) || get_text(&p, end, &out->reason) ||
        impex_get_varint(&p, end, &n))
        goto bad;
    out->step = (size_t)step;
    if (out->value.ptr && out->value.len > out->value_len) goto bad;
    /* Each field takes at least two bytes: a bound before allocating. */
    if (n > (uint64_t)(end - p) / 2 + 1) goto bad;
    out->fields = calloc(n + 1, sizeof *out->fields);
    out->field_len = calloc(n + 1, sizeof *out->field_len);
    if (!out->fields || !out->field_len) {
        impex_reject_free(out);
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    }
    for (uint64_t i = 0; i < n; i++) {
        if (impex_get_varint(&p, end, &out->field_len[i]) || get_text(&p, end, &out->fields[i]) ||
            out->fields[i].len > out->field_len[i]) /* more kept than there was */
            goto bad;
        if (out->fields[i].len < out->field_len[i]) out->cut = 1;
        out->nfields++;
    }
    if (p != end) goto bad;
    return IMPEX_OK;
bad:
    impex_reject_free(out);
    return impex_err_set(err, IMPEX_EFORMAT, "rejected-row record is damaged");
}
