/* SHA-256 over many short inputs in one call: the optional accelerator of ledger.hashbatch.
 *
 * The verifier hashes a few short byte strings per ledger entry. Through hashlib each costs a
 * hash object and OpenSSL's EVP dispatch (about 0.5 us for 250 bytes here, most of it set-up);
 * OpenSSL's direct SHA-256 functions on a stack context take about 0.2 us, and only the results
 * become Python objects. The leaf data is written here too (headers), and a page's chain checked
 * in one pass (chain). ledger/hashbatch.py has the same four functions in Python (the
 * reference, used when this module was not built); the tests check that both agree.
 *
 * SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP, which is what costs
 * the time here; they are still part of its API, and setup.py builds this module only if they
 * compile and link.
 */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED
#include <Python.h>
#include <openssl/sha.h>

static const char hexdigits[] = "0123456789abcdef";

/* out[c] = args[c] as a fast sequence, for c from `first` on; their common length, or -1 with
 * an exception set (the caller releases whatever out[] holds either way). */
static Py_ssize_t gather_columns(PyObject *args, Py_ssize_t first, PyObject **out) {
    Py_ssize_t n = -1;
    for (Py_ssize_t c = first; c < PyTuple_GET_SIZE(args); c++) {
        out[c] = PySequence_Fast(PyTuple_GET_ITEM(args, c), "columns must be sequences");
        if (out[c] == NULL) return -1;
        Py_ssize_t len = PySequence_Fast_GET_SIZE(out[c]);
        if (n >= 0 && len != n) {
            PyErr_SetString(PyExc_ValueError, "columns differ in length");
            return -1;
        }
        n = len;
    }
    return n;
}

/* joined(prefix, *columns) -> [SHA-256(prefix || columns[0][i] || columns[1][i] ...)] */
static PyObject *joined(PyObject *self, PyObject *args) {
    Py_ssize_t ncols = PyTuple_GET_SIZE(args);
    if (ncols < 2) {
        PyErr_SetString(PyExc_TypeError, "joined(prefix, column, ...) needs a column");
        return NULL;
    }
    Py_buffer prefix;
    if (PyObject_GetBuffer(PyTuple_GET_ITEM(args, 0), &prefix, PyBUF_SIMPLE) < 0) return NULL;
    PyObject *result = NULL;
    PyObject **seqs = PyMem_Calloc((size_t)ncols, sizeof(PyObject *));
    if (seqs == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t n = gather_columns(args, 1, seqs);
    if (n < 0) goto done;
    result = PyList_New(n);
    if (result == NULL) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char md[SHA256_DIGEST_LENGTH];
        SHA256_CTX ctx;
        SHA256_Init(&ctx);
        SHA256_Update(&ctx, prefix.buf, (size_t)prefix.len);
        for (Py_ssize_t c = 1; c < ncols; c++) {
            PyObject *item = PySequence_Fast_GET_ITEM(seqs[c], i);
            if (!PyBytes_Check(item)) {
                PyErr_SetString(PyExc_TypeError, "column items must be bytes");
                goto fail;
            }
            SHA256_Update(&ctx, PyBytes_AS_STRING(item), (size_t)PyBytes_GET_SIZE(item));
        }
        SHA256_Final(md, &ctx);
        PyObject *digest = PyBytes_FromStringAndSize((const char *)md, SHA256_DIGEST_LENGTH);
        if (digest == NULL) goto fail;
        PyList_SET_ITEM(result, i, digest);
    }
    goto done;
fail:
    Py_CLEAR(result);
done:
    if (seqs != NULL) {
        for (Py_ssize_t c = 1; c < ncols; c++) Py_XDECREF(seqs[c]);
        PyMem_Free(seqs);
    }
    PyBuffer_Release(&prefix);
    return result;
}

/* hex_of_texts(texts) -> [SHA-256(text.encode("utf-8")).hexdigest()]; UnicodeEncodeError as
 * str.encode raises it (a lone surrogate). */
static PyObject *hex_of_texts(PyObject *self, PyObject *arg) {
    PyObject *seq = PySequence_Fast(arg, "texts must be a sequence");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *result = PyList_New(n);
    if (result == NULL) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyUnicode_Check(item)) {
            PyErr_SetString(PyExc_TypeError, "texts must be str");
            goto fail;
        }
        Py_ssize_t size;
        const char *utf8 = PyUnicode_AsUTF8AndSize(item, &size);
        if (utf8 == NULL) goto fail;
        unsigned char md[SHA256_DIGEST_LENGTH];
        char hex[2 * SHA256_DIGEST_LENGTH];
        SHA256((const unsigned char *)utf8, (size_t)size, md);
        for (int b = 0; b < SHA256_DIGEST_LENGTH; b++) {
            hex[2 * b] = hexdigits[md[b] >> 4];
            hex[2 * b + 1] = hexdigits[md[b] & 15];
        }
        PyObject *text = PyUnicode_FromStringAndSize(hex, 2 * SHA256_DIGEST_LENGTH);
        if (text == NULL) goto fail;
        PyList_SET_ITEM(result, i, text);
    }
    goto done;
fail:
    Py_CLEAR(result);
done:
    Py_DECREF(seq);
    return result;
}

/* A growing byte buffer for one header. */
typedef struct {
    char *data;
    Py_ssize_t len, cap;
} Buf;

static int buf_put(Buf *b, const char *src, Py_ssize_t n) {
    if (b->len + n > b->cap) {
        Py_ssize_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap *= 2;
        char *data = PyMem_Realloc(b->data, (size_t)cap);
        if (data == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, src, (size_t)n);
    b->len += n;
    return 0;
}

#define PUT_LITERAL(b, s) buf_put((b), (s), (Py_ssize_t)(sizeof(s) - 1))

/* A str's UTF-8 bytes, raw (a digest, a time) or as a JSON string exactly as Python's
 * json.encoder.encode_basestring writes it (ensure_ascii=False): '"' and '\' escaped, \b \f \n
 * \r \t by name, the other control characters as \u00xx, everything else as it is. */
static int put_str(Buf *b, PyObject *value, int quote) {
    if (!PyUnicode_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "header text fields must be str");
        return -1;
    }
    Py_ssize_t size;
    const char *utf8 = PyUnicode_AsUTF8AndSize(value, &size);
    if (utf8 == NULL) return -1; /* a lone surrogate: UnicodeEncodeError, as str.encode */
    if (!quote) return buf_put(b, utf8, size);
    if (PUT_LITERAL(b, "\"") < 0) return -1;
    Py_ssize_t run = 0; /* bytes copied as they are, pending */
    for (Py_ssize_t i = 0; i < size; i++) {
        unsigned char c = (unsigned char)utf8[i];
        char esc[6];
        Py_ssize_t n = 2;
        esc[0] = '\\';
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            if (c > 0x1f) {
                run++;
                continue;
            }
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hexdigits[c >> 4];
            esc[5] = hexdigits[c & 15];
            n = 6;
        }
        if (buf_put(b, utf8 + i - run, run) < 0 || buf_put(b, esc, n) < 0) return -1;
        run = 0;
    }
    if (buf_put(b, utf8 + size - run, run) < 0) return -1;
    return PUT_LITERAL(b, "\"");
}

/* An int in decimal (str(value)), or null for None when allowed. */
static int put_int(Buf *b, PyObject *value, int nullable) {
    if (value == Py_None && nullable) return PUT_LITERAL(b, "null");
    if (!PyLong_CheckExact(value)) {
        PyErr_SetString(PyExc_TypeError, "header integer fields must be int");
        return -1;
    }
    PyObject *text = PyObject_Str(value);
    if (text == NULL) return -1;
    int rc = put_str(b, text, 0);
    Py_DECREF(text);
    return rc;
}

static int put_optional_str(Buf *b, PyObject *value) {
    return value == Py_None ? PUT_LITERAL(b, "null") : put_str(b, value, 1);
}

/* headers(actors, insts, kinds, digests, repos, seqs, subjects, times) -> [leaf data]: each
 * entry header as ledger.canonical.canonical_json writes it (keys sorted), UTF-8. */
static PyObject *headers(PyObject *self, PyObject *args) {
    enum { ACTOR, INST, KIND, DIGEST, REPO, SEQ, SUBJECT, TIME, NCOLS };
    if (PyTuple_GET_SIZE(args) != NCOLS) {
        PyErr_SetString(PyExc_TypeError, "headers() takes the 8 header columns");
        return NULL;
    }
    PyObject *cols[NCOLS] = {NULL};
    PyObject *result = NULL;
    Buf b = {NULL, 0, 0};
    Py_ssize_t n = gather_columns(args, 0, cols);
    if (n < 0) goto done;
    result = PyList_New(n);
    if (result == NULL) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
#define COL(c) PySequence_Fast_GET_ITEM(cols[c], i)
        b.len = 0;
        if (PUT_LITERAL(&b, "{\"actor\":") < 0 || put_str(&b, COL(ACTOR), 1) < 0 ||
            PUT_LITERAL(&b, ",\"installation_id\":") < 0 || put_int(&b, COL(INST), 1) < 0 ||
            PUT_LITERAL(&b, ",\"kind\":") < 0 || put_str(&b, COL(KIND), 1) < 0 ||
            PUT_LITERAL(&b, ",\"payload_sha256\":\"") < 0 || put_str(&b, COL(DIGEST), 0) < 0 ||
            PUT_LITERAL(&b, "\",\"repository\":") < 0 || put_optional_str(&b, COL(REPO)) < 0 ||
            PUT_LITERAL(&b, ",\"seq\":") < 0 || put_int(&b, COL(SEQ), 0) < 0 ||
            PUT_LITERAL(&b, ",\"subject\":") < 0 || put_optional_str(&b, COL(SUBJECT)) < 0 ||
            PUT_LITERAL(&b, ",\"time\":\"") < 0 || put_str(&b, COL(TIME), 0) < 0 ||
            PUT_LITERAL(&b, "\"}") < 0) {
            Py_CLEAR(result);
            goto done;
        }
#undef COL
        PyObject *data = PyBytes_FromStringAndSize(b.data, b.len);
        if (data == NULL) {
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, i, data);
    }
done:
    for (int c = 0; c < NCOLS; c++) Py_XDECREF(cols[c]);
    PyMem_Free(b.data);
    return result;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1; /* uppercase too: stored hashes are lowercase, anything else is for the row path */
}

/* chain(prevs, hashes, datas) -> (leaves, last entry hash) or None: for every i, whether
 * hashes[i] is the lowercase hex of SHA-256(bytes.fromhex(prevs[i]) || datas[i]), and the leaf
 * hashes SHA-256(0x00 || datas[i]). None as soon as one is not (or is not 64 lowercase hex). */
static PyObject *chain(PyObject *self, PyObject *args) {
    if (PyTuple_GET_SIZE(args) != 3) {
        PyErr_SetString(PyExc_TypeError, "chain() takes prevs, hashes and datas");
        return NULL;
    }
    PyObject *cols[3] = {NULL};
    PyObject *leaves = NULL, *result = NULL;
    Py_ssize_t n = gather_columns(args, 0, cols);
    PyObject *prevs = cols[0], *hashes = cols[1], *datas = cols[2];
    if (n < 0) goto done;
    if (n == 0) {
        PyErr_SetString(PyExc_ValueError, "no rows");
        goto done;
    }
    leaves = PyList_New(n);
    if (leaves == NULL) goto done;
    unsigned char entry[SHA256_DIGEST_LENGTH] = {0};
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *prev = PySequence_Fast_GET_ITEM(prevs, i);
        PyObject *hash = PySequence_Fast_GET_ITEM(hashes, i);
        PyObject *data = PySequence_Fast_GET_ITEM(datas, i);
        if (!PyBytes_Check(data)) {
            PyErr_SetString(PyExc_TypeError, "datas must be bytes");
            goto fail;
        }
        if (!PyUnicode_Check(prev) || !PyUnicode_Check(hash)) goto mismatch;
        Py_ssize_t prev_len, hash_len;
        const char *prev_hex = PyUnicode_AsUTF8AndSize(prev, &prev_len);
        const char *hash_hex = prev_hex ? PyUnicode_AsUTF8AndSize(hash, &hash_len) : NULL;
        if (hash_hex == NULL) { /* a lone surrogate: not hex either */
            PyErr_Clear();
            goto mismatch;
        }
        if (prev_len != 2 * SHA256_DIGEST_LENGTH || hash_len != 2 * SHA256_DIGEST_LENGTH)
            goto mismatch;
        unsigned char prev_raw[SHA256_DIGEST_LENGTH];
        for (int b = 0; b < SHA256_DIGEST_LENGTH; b++) {
            int hi = hex_value(prev_hex[2 * b]), lo = hex_value(prev_hex[2 * b + 1]);
            if (hi < 0 || lo < 0) goto mismatch;
            prev_raw[b] = (unsigned char)(hi << 4 | lo);
        }
        SHA256_CTX ctx;
        SHA256_Init(&ctx);
        SHA256_Update(&ctx, prev_raw, sizeof prev_raw);
        SHA256_Update(&ctx, PyBytes_AS_STRING(data), (size_t)PyBytes_GET_SIZE(data));
        SHA256_Final(entry, &ctx);
        for (int b = 0; b < SHA256_DIGEST_LENGTH; b++) {
            if (hash_hex[2 * b] != hexdigits[entry[b] >> 4] ||
                hash_hex[2 * b + 1] != hexdigits[entry[b] & 15])
                goto mismatch;
        }
        unsigned char leaf[SHA256_DIGEST_LENGTH];
        const unsigned char zero = 0;
        SHA256_Init(&ctx);
        SHA256_Update(&ctx, &zero, 1);
        SHA256_Update(&ctx, PyBytes_AS_STRING(data), (size_t)PyBytes_GET_SIZE(data));
        SHA256_Final(leaf, &ctx);
        PyObject *leaf_obj = PyBytes_FromStringAndSize((const char *)leaf, sizeof leaf);
        if (leaf_obj == NULL) goto fail;
        PyList_SET_ITEM(leaves, i, leaf_obj);
    }
    result = Py_BuildValue("(Oy#)", leaves, (const char *)entry, (Py_ssize_t)sizeof entry);
    goto done;
mismatch:
    result = Py_NewRef(Py_None);
    goto done;
fail:
    result = NULL;
done:
    Py_XDECREF(leaves);
    for (int c = 0; c < 3; c++) Py_XDECREF(cols[c]);
    return result;
}

static PyMethodDef methods[] = {
    {"chain", chain, METH_VARARGS,
     "chain(prevs, hashes, datas): (leaf hashes, last entry hash) when every hashes[i] is the hex "
     "SHA-256 of bytes.fromhex(prevs[i]) + datas[i], else None"},
    {"headers", headers, METH_VARARGS,
     "headers(actors, insts, kinds, digests, repos, seqs, subjects, times): each entry's leaf "
     "data (its header as canonical JSON, UTF-8)"},
    {"joined", joined, METH_VARARGS,
     "joined(prefix, *columns): SHA-256 of prefix and the i-th item of every column, for each i"},
    {"hex_of_texts", hex_of_texts, METH_O,
     "hex_of_texts(texts): the hex SHA-256 of each text's UTF-8 encoding"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, .m_name = "_hashbatch", .m_size = -1, .m_methods = methods};

PyMODINIT_FUNC PyInit__hashbatch(void) { return PyModule_Create(&module); }
