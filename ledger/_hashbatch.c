/* SHA-256 over many short inputs in one call: the optional accelerator of ledger.hashbatch.
 *
 * The verifier hashes a few short byte strings per ledger entry. Through hashlib each costs a
 * hash object and OpenSSL's EVP dispatch (about 0.5 us for 250 bytes here, most of it set-up);
 * OpenSSL's direct SHA-256 functions on a stack context take about 0.2 us, and only the results
 * become Python objects. ledger/hashbatch.py has the same two functions in Python (the
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
    Py_ssize_t n = -1;
    for (Py_ssize_t c = 1; c < ncols; c++) {
        seqs[c] = PySequence_Fast(PyTuple_GET_ITEM(args, c), "columns must be sequences");
        if (seqs[c] == NULL) goto done;
        Py_ssize_t len = PySequence_Fast_GET_SIZE(seqs[c]);
        if (n >= 0 && len != n) {
            PyErr_SetString(PyExc_ValueError, "columns differ in length");
            goto done;
        }
        n = len;
    }
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

static PyMethodDef methods[] = {
    {"joined", joined, METH_VARARGS,
     "joined(prefix, *columns): SHA-256 of prefix and the i-th item of every column, for each i"},
    {"hex_of_texts", hex_of_texts, METH_O,
     "hex_of_texts(texts): the hex SHA-256 of each text's UTF-8 encoding"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, .m_name = "_hashbatch", .m_size = -1, .m_methods = methods};

PyMODINIT_FUNC PyInit__hashbatch(void) { return PyModule_Create(&module); }
