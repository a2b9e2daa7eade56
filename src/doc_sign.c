/* Signing the documents: key loading, the incremental update, the CMS.
 * See doc_sign.h for the decisions; the layout of what is appended is:
 *
 *   S 0 obj  << /Type /Sig ... /ByteRange [..] /Contents <00..> /M /Name >>
 *   W 0 obj  << /Type /Annot /Subtype /Widget /FT /Sig ... >>  (the field)
 *   A 0 obj  the widget's empty appearance
 *   the catalog, with /AcroForm; the page (or its /Annots array), with W
 *   xref (just those objects), trailer (/Size /Prev /Root /Info /ID)
 *
 * The signed byte ranges are everything but the <hex> of /Contents. */
#include "doc_sign.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "util/diag.h"
#include "util/whole_file.h"
#include "util/xalloc.h"

#define SMALL_FILE_MAX (4u << 20)      /* keys, certificates, PKCS#12 */
#define PDF_MAX ((size_t)1 << 30)      /* keeps offsets within 10 digits */
#define OBJECTS_MAX 8000000L
#define DEPTH_MAX 64
#define BYTERANGE_WIDTH 40             /* "0 a b c" padded with spaces */
#define SHA256_LEN 32

struct signer {
	EVP_PKEY *key;
	X509 *cert;
	STACK_OF(X509) *chain;         /* never NULL, maybe empty */
	char *name;
	date_t not_before, not_after;
	char not_before_text[96], not_after_text[96];
	bool deterministic;
	size_t reserve;
};

/* ---------------------------------------------------------------- buffers */

typedef struct buf {
	unsigned char *data;
	size_t length, capacity;
} buf;

static void buf_add(buf *b, const void *bytes, size_t count)
{
	b->data = xgrow(b->data, &b->capacity, b->length + count + 1, 1);
	memcpy(b->data + b->length, bytes, count);
	b->length += count;
}

static void buf_str(buf *b, const char *text)
{
	buf_add(b, text, strlen(text));
}

__attribute__((format(printf, 2, 3)))
static void buf_printf(buf *b, const char *format, ...)
{
	char small[256];
	va_list args;
	int n;

	va_start(args, format);
	n = vsnprintf(small, sizeof small, format, args);
	va_end(args);
	if (n >= 0 && (size_t)n < sizeof small) {
		buf_add(b, small, (size_t)n);
		return;
	}
	b->data = xgrow(b->data, &b->capacity, b->length + (size_t)n + 1, 1);
	va_start(args, format);
	vsnprintf((char *)b->data + b->length, (size_t)n + 1, format, args);
	va_end(args);
	b->length += (size_t)n;
}

static void buf_fill(buf *b, int c, size_t count)
{
	b->data = xgrow(b->data, &b->capacity, b->length + count + 1, 1);
	memset(b->data + b->length, c, count);
	b->length += count;
}

/* A number for PDF, to 1/100, independent of LC_NUMERIC. */
static void buf_number(buf *b, double value)
{
	long long cents = llround(value * 100.0);
	unsigned long long magnitude = cents < 0 ? 0ULL - (unsigned long long)cents
	                                         : (unsigned long long)cents;

	buf_printf(b, "%s%llu", cents < 0 ? "-" : "", magnitude / 100);
	if (magnitude % 100 != 0)
		buf_printf(b, ".%02llu", magnitude % 100);
}

static void buf_hex(buf *b, const unsigned char *bytes, size_t count)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < count; i++) {
		char pair[2] = { digits[bytes[i] >> 4], digits[bytes[i] & 15] };
		buf_add(b, pair, 2);
	}
}

/* Next code point of UTF-8 text; invalid sequences give U+FFFD. */
static unsigned long utf8_next(const unsigned char **text)
{
	const unsigned char *s = *text;
	unsigned long c = s[0], min;
	int more, i;

	if (c < 0x80) {
		*text = s + 1;
		return c;
	}
	if (c >= 0xF0 && c <= 0xF4)
		more = 3, c &= 0x07, min = 0x10000;
	else if (c >= 0xE0)
		more = c <= 0xEF ? 2 : -1, c &= 0x0F, min = 0x800;
	else if (c >= 0xC2)
		more = 1, c &= 0x1F, min = 0x80;
	else
		more = -1, min = 0;
	for (i = 1; i <= more; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			more = -1;
			break;
		}
		c = c << 6 | (s[i] & 0x3F);
	}
	if (more < 0) {
		*text = s + (i > 1 ? i : 1);
		return 0xFFFD;
	}
	*text = s + more + 1;
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0xFFFD;
	return c;
}

/* A PDF text string: a literal when printable ASCII, else UTF-16BE hex. */
static void buf_text_string(buf *b, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	bool ascii = true;

	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7E)
			ascii = false;
	if (ascii) {
		buf_str(b, "(");
		for (s = (const unsigned char *)text; *s != '\0'; s++) {
			if (*s == '(' || *s == ')' || *s == '\\')
				buf_str(b, "\\");
			buf_add(b, s, 1);
		}
		buf_str(b, ")");
		return;
	}
	buf_str(b, "<FEFF");
	for (s = (const unsigned char *)text; *s != '\0';) {
		unsigned long c = utf8_next(&s);
		if (c >= 0x10000) {
			c -= 0x10000;
			buf_printf(b, "%04lX%04lX", 0xD800 | (c >> 10),
			           0xDC00 | (c & 0x3FF));
		} else
			buf_printf(b, "%04lX", c);
	}
	buf_str(b, ">");
}

/* -------------------------------------------------------------- OpenSSL */

/* The reason of the last OpenSSL error; clears the queue. */
static const char *ssl_reason(void)
{
	unsigned long code = ERR_peek_last_error();
	const char *reason = code != 0 ? ERR_reason_error_string(code) : NULL;

	ERR_clear_error();
	return reason != NULL ? reason : "unknown OpenSSL error";
}

/* The signed attributes are DER-encoded as a SET OF, sorted, exactly as the
 * CMS encoder writes them ([0] IMPLICIT there, SET here). */
typedef STACK_OF(X509_ATTRIBUTE) SIGNED_ATTRS;
ASN1_ITEM_TEMPLATE(SIGNED_ATTRS) =
	ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SET_ORDER, 0, SignedAttrs,
	                      X509_ATTRIBUTE)
static_ASN1_ITEM_TEMPLATE_END(SIGNED_ATTRS)

/* Signs the DER of si's signed attributes with the key and stores the
 * signature: CMS_SignerInfo_sign() would add a signingTime. */
static bool sign_attributes(const signer *s, CMS_SignerInfo *si)
{
	SIGNED_ATTRS *attrs = sk_X509_ATTRIBUTE_new_null();
	unsigned char *der = NULL, *signature = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t length = 0;
	int der_length = -1, i;
	bool done = false;

	for (i = 0; attrs != NULL && i < CMS_signed_get_attr_count(si); i++)
		if (!sk_X509_ATTRIBUTE_push(attrs, CMS_signed_get_attr(si, i)))
			goto out;
	if (attrs != NULL)
		der_length = ASN1_item_i2d((ASN1_VALUE *)attrs, &der,
		                           ASN1_ITEM_rptr(SIGNED_ATTRS));
	if (der_length <= 0 || md == NULL
	    || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, s->key) <= 0
	    || EVP_DigestSign(md, NULL, &length, der, (size_t)der_length) <= 0)
		goto out;
	signature = OPENSSL_malloc(length);
	if (signature == NULL
	    || EVP_DigestSign(md, signature, &length, der,
	                      (size_t)der_length) <= 0)
		goto out;
	ASN1_STRING_set0(CMS_SignerInfo_get0_signature(si), signature,
	                 (int)length);
	signature = NULL;
	done = true;
out:
	OPENSSL_free(signature);
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	sk_X509_ATTRIBUTE_free(attrs);     /* the attributes stay in si */
	return done;
}

/* A detached CMS SignedData over content whose SHA-256 is digest, with the
 * signed attributes content-type, message-digest and signingCertificateV2.
 * Returns the DER (OPENSSL_free it) or NULL (OpenSSL error queued). */
static unsigned char *cms_sign_digest(const signer *s,
                                      const unsigned char *digest,
                                      size_t *der_length)
{
	const unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_NOSMIMECAP
	                       | CMS_PARTIAL;
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, s->chain, NULL, flags);
	CMS_SignerInfo *si = NULL;
	unsigned char *der = NULL;
	int length = -1;

	if (cms != NULL)
		si = CMS_add1_signer(cms, s->cert, s->key, EVP_sha256(),
		                     flags | CMS_CADES);
	if (si != NULL
	    && CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType,
	                                   V_ASN1_OBJECT,
	                                   OBJ_nid2obj(NID_pkcs7_data), -1)
	    && CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest,
	                                   V_ASN1_OCTET_STRING, digest,
	                                   SHA256_LEN)
	    && sign_attributes(s, si))
		length = i2d_CMS_ContentInfo(cms, &der);
	CMS_ContentInfo_free(cms);
	if (length <= 0) {
		OPENSSL_free(der);
		return NULL;
	}
	*der_length = (size_t)length;
	return der;
}

/* ---------------------------------------------------------- key loading */

/* Reads a key or certificate file whole.  A file holding a private key
 * (secret) must not be accessible by group or others. */
static unsigned char *read_small_file(const char *path, bool secret,
                                      size_t *length)
{
	return read_whole_file(path, SMALL_FILE_MAX,
	                       "too large for a key or certificate file",
	                       secret, length);
}

static void forget(unsigned char *data, size_t length)
{
	if (data != NULL)
		OPENSSL_cleanse(data, length);
	free(data);
}

/* Refuses to prompt: an encrypted PEM key fails to load. */
static int no_password(char *buffer, int size, int rwflag, void *data)
{
	(void)buffer, (void)size, (void)rwflag, (void)data;
	return -1;
}

static EVP_PKEY *load_pem_key(const char *path)
{
	size_t length;
	unsigned char *data = read_small_file(path, true, &length);
	EVP_PKEY *key = NULL;
	BIO *bio;

	if (data == NULL)
		return NULL;
	bio = BIO_new_mem_buf(data, (int)length);
	if (bio != NULL)
		key = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
	BIO_free(bio);
	if (key == NULL) {
		ERR_clear_error();
		data[length] = '\0';
		diag_error(path, 0, "%s", strstr((char *)data, "ENCRYPTED")
		           ? "the private key is encrypted: give it as a "
		             "PKCS#12 file with its password in --pass-env"
		           : "no PEM private key found");
	}
	forget(data, length);
	return key;
}

/* Appends every PEM certificate of path to certs; the count added, or -1. */
static int load_pem_certs(const char *path, STACK_OF(X509) *certs)
{
	size_t length;
	unsigned char *data = read_small_file(path, false, &length);
	BIO *bio;
	X509 *cert;
	int count = 0;

	if (data == NULL)
		return -1;
	bio = BIO_new_mem_buf(data, (int)length);
	while (bio != NULL
	       && (cert = PEM_read_bio_X509(bio, NULL, no_password, NULL))
	          != NULL) {
		if (!sk_X509_push(certs, cert)) {
			X509_free(cert);
			break;
		}
		count++;
	}
	ERR_clear_error();         /* the end of the file reads as an error */
	BIO_free(bio);
	free(data);
	if (count == 0)
		return diag_error(path, 0, "no PEM certificate found");
	return count;
}

static bool asn1_time_day(const ASN1_TIME *when, date_t *day, char text[96])
{
	struct tm tm;

	if (when == NULL || !ASN1_TIME_to_tm(when, &tm))
		return false;
	*day = date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	snprintf(text, 96, "%04d-%02d-%02d %02d:%02d:%02d UTC",
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	         tm.tm_min, tm.tm_sec);
	return true;
}

/* Is the certificate valid on day?  what: "the as-of date", ... */
static int check_validity(const signer *s, const char *file, date_t day,
                          const char *what)
{
	char when[11], limit[11];

	if (day == DATE_NONE)
		return diag_error(file, 0, "no date to check the certificate "
		                  "against");
	date_format(day, when);
	if (day > s->not_after) {
		date_format(s->not_after, limit);
		return diag_error(file, 0, "certificate is not valid on %s %s: "
		                  "it expired on %s (notAfter %s)", what, when,
		                  limit, s->not_after_text);
	}
	if (day < s->not_before) {
		date_format(s->not_before, limit);
		return diag_error(file, 0, "certificate is not valid on %s %s: "
		                  "it is valid only from %s (notBefore %s)", what,
		                  when, limit, s->not_before_text);
	}
	return 0;
}

/* CN, else the whole subject. */
static char *subject_name(X509 *cert)
{
	X509_NAME *subject = X509_get_subject_name(cert);
	int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
	unsigned char *utf8 = NULL;
	char *name = NULL;
	BIO *bio;

	if (at >= 0) {
		ASN1_STRING *value =
			X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at));
		int length = ASN1_STRING_to_UTF8(&utf8, value);
		if (length > 0 && memchr(utf8, '\0', (size_t)length) == NULL)
			name = xstrndup((char *)utf8, (size_t)length);
		OPENSSL_free(utf8);
		if (name != NULL)
			return name;
	}
	bio = BIO_new(BIO_s_mem());
	if (bio != NULL && X509_NAME_print_ex(bio, subject, 0,
	                  XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		char *text;
		long length = BIO_get_mem_data(bio, &text);
		name = xstrndup(text, length > 0 ? (size_t)length : 0);
	}
	BIO_free(bio);
	ERR_clear_error();
	return name != NULL ? name : xstrdup("");
}

/* The checks common to both ways of loading; frees s on failure. */
static signer *signer_finish(signer *s, const char *key_file,
                             const char *cert_file, date_t as_of)
{
	static const unsigned char zero[SHA256_LEN];
	unsigned char *der;
	size_t length;
	int type = EVP_PKEY_get_base_id(s->key);

	if (type != EVP_PKEY_RSA && type != EVP_PKEY_EC) {
		const char *name = EVP_PKEY_get0_type_name(s->key);
		diag_error(key_file, 0, "unsupported key type %s: use an RSA "
		           "or EC key", name != NULL ? name : "(unknown)");
		goto fail;
	}
	s->deterministic = type == EVP_PKEY_RSA;
	if (X509_check_private_key(s->cert, s->key) != 1) {
		ERR_clear_error();
		if (strcmp(key_file, cert_file) == 0)
			diag_error(cert_file, 0, "the certificate does not match "
			           "the private key");
		else
			diag_error(cert_file, 0, "the certificate does not match "
			           "the private key %s", key_file);
		goto fail;
	}
	if (!asn1_time_day(X509_get0_notBefore(s->cert), &s->not_before,
	                   s->not_before_text)
	    || !asn1_time_day(X509_get0_notAfter(s->cert), &s->not_after,
	                      s->not_after_text)) {
		ERR_clear_error();
		diag_error(cert_file, 0, "the certificate's validity dates "
		           "cannot be read");
		goto fail;
	}
	if (check_validity(s, cert_file, as_of, "the as-of date") != 0)
		goto fail;
	s->name = subject_name(s->cert);
	der = cms_sign_digest(s, zero, &length);
	if (der == NULL) {
		diag_error(key_file, 0, "cannot sign with this key: %s",
		           ssl_reason());
		goto fail;
	}
	OPENSSL_free(der);
	s->reserve = 2 * length;
	return s;
fail:
	signer_free(s);
	return NULL;
}

static signer *signer_new(void)
{
	signer *s = xcalloc(1, sizeof *s);

	s->chain = sk_X509_new_null();
	if (s->chain == NULL) {
		free(s);
		diag_error(NULL, 0, "out of memory in OpenSSL");
		return NULL;
	}
	return s;
}

signer *signer_load_pem(const char *key_path, const char *cert_path,
                        const char *chain_path, date_t as_of)
{
	signer *s = signer_new();
	STACK_OF(X509) *certs;

	if (s == NULL)
		return NULL;
	s->key = load_pem_key(key_path);
	certs = sk_X509_new_null();
	if (s->key == NULL || certs == NULL
	    || load_pem_certs(cert_path, certs) < 0
	    || (chain_path != NULL && load_pem_certs(chain_path, s->chain) < 0)) {
		sk_X509_pop_free(certs, X509_free);
		signer_free(s);
		return NULL;
	}
	s->cert = sk_X509_shift(certs);
	while (sk_X509_num(certs) > 0) {
		X509 *extra = sk_X509_shift(certs);
		if (!sk_X509_push(s->chain, extra))
			X509_free(extra);
	}
	sk_X509_free(certs);
	return signer_finish(s, key_path, cert_path, as_of);
}

signer *signer_load_pkcs12(const char *p12_path, const char *pass_env,
                           date_t as_of)
{
	const char *pass = pass_env != NULL ? getenv(pass_env) : "";
	STACK_OF(X509) *ca = NULL;
	size_t length;
	unsigned char *data;
	const unsigned char *cursor;
	PKCS12 *p12;
	signer *s;

	if (pass == NULL) {
		diag_error(p12_path, 0, "the password variable %s is not set",
		           pass_env);
		return NULL;
	}
	data = read_small_file(p12_path, true, &length);
	if (data == NULL)
		return NULL;
	cursor = data;
	p12 = d2i_PKCS12(NULL, &cursor, (long)length);
	forget(data, length);
	if (p12 == NULL) {
		ERR_clear_error();
		diag_error(p12_path, 0, "not a PKCS#12 file");
		return NULL;
	}
	if (PKCS12_mac_present(p12) && !PKCS12_verify_mac(p12, pass, -1)
	    && !(*pass == '\0' && PKCS12_verify_mac(p12, NULL, 0))) {
		ERR_clear_error();
		PKCS12_free(p12);
		if (pass_env == NULL)
			diag_error(p12_path, 0, "wrong password (none was given: "
			           "name the variable holding it)");
		else
			diag_error(p12_path, 0, "wrong password (taken from the "
			           "environment variable %s)", pass_env);
		return NULL;
	}
	s = signer_new();
	if (s == NULL) {
		PKCS12_free(p12);
		return NULL;
	}
	if (!PKCS12_parse(p12, pass, &s->key, &s->cert, &ca)) {
		diag_error(p12_path, 0, "cannot read the PKCS#12 file: %s",
		           ssl_reason());
		PKCS12_free(p12);
		signer_free(s);
		return NULL;
	}
	PKCS12_free(p12);
	while (ca != NULL && sk_X509_num(ca) > 0) {
		X509 *extra = sk_X509_shift(ca);
		if (!sk_X509_push(s->chain, extra))
			X509_free(extra);
	}
	sk_X509_free(ca);
	if (s->key == NULL || s->cert == NULL) {
		diag_error(p12_path, 0, "the PKCS#12 file holds no %s",
		           s->key == NULL ? "private key" : "certificate");
		signer_free(s);
		return NULL;
	}
	return signer_finish(s, p12_path, p12_path, as_of);
}

void signer_free(signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->key);
	X509_free(s->cert);
	sk_X509_pop_free(s->chain, X509_free);
	free(s->name);
	free(s);
}

const char *signer_name(const signer *s)
{
	return s->name;
}

bool signer_deterministic(const signer *s)
{
	return s->deterministic;
}

size_t signer_reserve(const signer *s)
{
	return s->reserve;
}

/* ------------------------------------------------------ reading the PDF */

typedef struct span {
	size_t start, end;
} span;

typedef struct pdf {
	const unsigned char *data;
	size_t length;
	const char *name;
	long size;                     /* trailer /Size */
	size_t *offset;                /* by object number; 0: not in use */
	unsigned *gen;
	unsigned char *state;          /* SEEN_XREF | SEEN_TREE */
	long root, info;               /* info 0: none */
	span id0;                      /* first /ID element, empty if none */
	size_t startxref;
} pdf;

enum { SEEN_XREF = 1, SEEN_TREE = 2 };

__attribute__((format(printf, 2, 3)))
static int bad_pdf(const pdf *p, const char *format, ...)
{
	char message[512];
	va_list args;

	va_start(args, format);
	vsnprintf(message, sizeof message, format, args);
	va_end(args);
	return diag_error(p->name, 0, "cannot sign: %s", message);
}

static bool is_space(unsigned char c)
{
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r'
	       || c == ' ';
}

static bool is_regular(unsigned char c)
{
	return !is_space(c) && strchr("()<>[]{}/%", c) == NULL;
}

static size_t skip_space(const pdf *p, size_t at)
{
	while (at < p->length) {
		if (is_space(p->data[at]))
			at++;
		else if (p->data[at] == '%')
			while (at < p->length && p->data[at] != '\n'
			       && p->data[at] != '\r')
				at++;
		else
			break;
	}
	return at;
}

static size_t regular_end(const pdf *p, size_t at)
{
	while (at < p->length && is_regular(p->data[at]))
		at++;
	return at;
}

static bool all_digits(const pdf *p, size_t start, size_t end)
{
	if (start == end || end - start > 15)
		return false;
	for (; start < end; start++)
		if (p->data[start] < '0' || p->data[start] > '9')
			return false;
	return true;
}

/* An unsigned integer token at *at (after blanks). */
static bool parse_uint(const pdf *p, size_t *at, unsigned long long *value)
{
	size_t start = skip_space(p, *at), end = regular_end(p, start);

	if (!all_digits(p, start, end))
		return false;
	for (*value = 0; start < end; start++)
		*value = *value * 10 + (p->data[start] - '0');
	*at = end;
	return true;
}

static bool parse_keyword(const pdf *p, size_t *at, const char *word)
{
	size_t start = skip_space(p, *at), length = strlen(word);

	if (regular_end(p, start) != start + length
	    || memcmp(p->data + start, word, length) != 0)
		return false;
	*at = start + length;
	return true;
}

static bool skip_value(const pdf *p, size_t *at, int depth);

static bool skip_dict(const pdf *p, size_t *at, int depth)
{
	size_t i = *at + 2;

	for (;;) {
		i = skip_space(p, i);
		if (i + 1 < p->length && p->data[i] == '>'
		    && p->data[i + 1] == '>') {
			*at = i + 2;
			return true;
		}
		if (i >= p->length || p->data[i] != '/')
			return false;
		i = regular_end(p, i + 1);
		if (!skip_value(p, &i, depth + 1))
			return false;
	}
}

static bool skip_string(const pdf *p, size_t *at)
{
	size_t i = *at + 1;
	int nesting = 1;

	while (nesting > 0) {
		if (i >= p->length)
			return false;
		switch (p->data[i++]) {
		case '\\':
			i++;
			break;
		case '(':
			nesting++;
			break;
		case ')':
			nesting--;
			break;
		}
	}
	if (i > p->length)
		return false;
	*at = i;
	return true;
}

/* Moves *at past one object (a reference "n g R" counts as one). */
static bool skip_value(const pdf *p, size_t *at, int depth)
{
	size_t i = skip_space(p, *at), end, j, k;
	unsigned char c;

	if (depth > DEPTH_MAX || i >= p->length)
		return false;
	c = p->data[i];
	if (c == '<' && i + 1 < p->length && p->data[i + 1] == '<') {
		*at = i;
		return skip_dict(p, at, depth);
	}
	if (c == '<') {
		for (i++; i < p->length && p->data[i] != '>'; i++)
			if (!is_space(p->data[i]) && strchr("0123456789abcdefABCDEF",
			                                    p->data[i]) == NULL)
				return false;
		*at = i + 1;
		return i < p->length;
	}
	if (c == '[') {
		for (i++;;) {
			i = skip_space(p, i);
			if (i < p->length && p->data[i] == ']') {
				*at = i + 1;
				return true;
			}
			if (!skip_value(p, &i, depth + 1))
				return false;
		}
	}
	if (c == '(') {
		*at = i;
		return skip_string(p, at);
	}
	if (c == '/') {
		*at = regular_end(p, i + 1);
		return true;
	}
	if (!is_regular(c))
		return false;
	end = regular_end(p, i);
	*at = end;
	if (all_digits(p, i, end)) {
		j = skip_space(p, end);
		k = regular_end(p, j);
		if (all_digits(p, j, k)) {
			j = skip_space(p, k);
			if (j < p->length && p->data[j] == 'R'
			    && regular_end(p, j) == j + 1)
				*at = j + 1;
		}
	}
	return true;
}

static bool is_dict(const pdf *p, span v)
{
	return v.end - v.start >= 4 && p->data[v.start] == '<'
	       && p->data[v.start + 1] == '<';
}

static bool span_is(const pdf *p, span v, const char *text)
{
	size_t length = strlen(text);
	return v.end - v.start == length
	       && memcmp(p->data + v.start, text, length) == 0;
}

/* Finds /key at the top level of a dictionary: the whole entry and value. */
static bool dict_get(const pdf *p, span dict, const char *key, span *entry,
                     span *value)
{
	size_t i = dict.start + 2, key_end, length = strlen(key);

	for (;;) {
		i = skip_space(p, i);
		if (i + 2 >= dict.end || p->data[i] != '/')
			return false;
		key_end = regular_end(p, i + 1);
		entry->start = i;
		if (!skip_value(p, &key_end, 1))
			return false;
		if (regular_end(p, i + 1) - (i + 1) == length
		    && memcmp(p->data + i + 1, key, length) == 0) {
			entry->end = key_end;
			value->start = skip_space(p, regular_end(p, i + 1));
			value->end = key_end;
			return true;
		}
		i = key_end;
	}
}

static bool span_ref(const pdf *p, span v, long *number)
{
	unsigned long long num, gen;
	size_t at = v.start;

	if (!parse_uint(p, &at, &num) || !parse_uint(p, &at, &gen)
	    || !parse_keyword(p, &at, "R") || at != v.end || num == 0
	    || num >= (unsigned long long)p->size)
		return false;
	*number = (long)num;
	return true;
}

/* The value of object number (which must be "N G obj ... endobj"). */
static int read_object(const pdf *p, long number, span *value)
{
	unsigned long long num, gen;
	size_t at;

	if (number <= 0 || number >= p->size || p->offset[number] == 0)
		return bad_pdf(p, "object %ld is not in the cross-reference "
		               "table", number);
	at = p->offset[number];
	if (!parse_uint(p, &at, &num) || num != (unsigned long long)number
	    || !parse_uint(p, &at, &gen) || gen != p->gen[number]
	    || !parse_keyword(p, &at, "obj"))
		return bad_pdf(p, "object %ld is not at offset %zu", number,
		               p->offset[number]);
	value->start = skip_space(p, at);
	if (!skip_value(p, &at, 0) || !parse_keyword(p, &at, "endobj"))
		return bad_pdf(p, "object %ld is damaged", number);
	value->end = at - strlen("endobj");
	while (value->end > value->start && is_space(p->data[value->end - 1]))
		value->end--;
	return 0;
}

typedef struct xref_entry {
	unsigned long long number, offset, gen;
	bool used;
} xref_entry;

static int read_trailer(pdf *p, span trailer, bool newest)
{
	span entry, v;
	unsigned long long size;
	size_t at;

	if (dict_get(p, trailer, "Encrypt", &entry, &v))
		return bad_pdf(p, "the file is encrypted");
	if (dict_get(p, trailer, "XRefStm", &entry, &v))
		return bad_pdf(p, "cross-reference streams are not supported");
	if (!newest)
		return 0;
	if (!dict_get(p, trailer, "Size", &entry, &v))
		return bad_pdf(p, "the trailer has no /Size");
	at = v.start;
	if (!parse_uint(p, &at, &size) || at != v.end || size < 1
	    || size > (unsigned long long)OBJECTS_MAX
	    || size > p->length / 8 + 64)
		return bad_pdf(p, "the trailer's /Size is bad");
	p->size = (long)size;
	p->offset = xcalloc((size_t)size, sizeof *p->offset);
	p->gen = xcalloc((size_t)size, sizeof *p->gen);
	p->state = xcalloc((size_t)size, 1);
	if (!dict_get(p, trailer, "Root", &entry, &v)
	    || !span_ref(p, v, &p->root))
		return bad_pdf(p, "the trailer has no /Root");
	if (dict_get(p, trailer, "Info", &entry, &v)
	    && !span_ref(p, v, &p->info))
		return bad_pdf(p, "the trailer's /Info is not a reference");
	if (dict_get(p, trailer, "ID", &entry, &v) && p->data[v.start] == '[') {
		at = v.start + 1;
		p->id0.start = skip_space(p, at);
		if (!skip_value(p, &at, 1) || p->data[p->id0.start] != '<')
			return bad_pdf(p, "the trailer's /ID is malformed");
		p->id0.end = at;
	}
	return 0;
}

/* One classic cross-reference section and its trailer; *prev gets /Prev. */
static int read_xref(pdf *p, size_t at, bool newest, size_t *prev)
{
	xref_entry *entries = NULL;
	size_t count = 0, capacity = 0, i;
	unsigned long long first, n, j, value;
	span trailer, entry, v;
	int status = -1;

	if (!parse_keyword(p, &at, "xref")) {
		unsigned long long a, b;
		size_t probe = at;
		if (parse_uint(p, &probe, &a) && parse_uint(p, &probe, &b)
		    && parse_keyword(p, &probe, "obj"))
			return bad_pdf(p, "cross-reference streams are not "
			               "supported");
		return bad_pdf(p, "no cross-reference table at offset %zu", at);
	}
	while (!parse_keyword(p, &at, "trailer")) {
		if (!parse_uint(p, &at, &first) || !parse_uint(p, &at, &n)
		    || n > (unsigned long long)(p->length / 18)) {
			bad_pdf(p, "the cross-reference table is damaged");
			goto out;
		}
		for (j = 0; j < n; j++) {
			xref_entry e = { first + j, 0, 0, false };
			if (!parse_uint(p, &at, &e.offset)
			    || !parse_uint(p, &at, &e.gen)) {
				bad_pdf(p, "the cross-reference table is damaged");
				goto out;
			}
			if (parse_keyword(p, &at, "n"))
				e.used = true;
			else if (!parse_keyword(p, &at, "f")) {
				bad_pdf(p, "the cross-reference table is damaged");
				goto out;
			}
			entries = xgrow(entries, &capacity, count + 1,
			                sizeof *entries);
			entries[count++] = e;
		}
	}
	trailer.start = skip_space(p, at);
	at = trailer.start;
	if (!skip_value(p, &at, 0) || (trailer.end = at, !is_dict(p, trailer))) {
		bad_pdf(p, "the trailer is damaged");
		goto out;
	}
	if (read_trailer(p, trailer, newest) != 0)
		goto out;
	for (i = 0; i < count; i++) {
		xref_entry *e = &entries[i];
		if (e->number >= (unsigned long long)p->size) {
			bad_pdf(p, "cross-reference entry %llu is beyond /Size %ld",
			        e->number, p->size);
			goto out;
		}
		if (p->state[e->number] & SEEN_XREF)
			continue;      /* a newer section has it */
		p->state[e->number] |= SEEN_XREF;
		if (e->used && (e->offset == 0 || e->offset >= p->length
		                || e->gen > 65535)) {
			bad_pdf(p, "object %llu has a bad offset", e->number);
			goto out;
		}
		p->offset[e->number] = e->used ? (size_t)e->offset : 0;
		p->gen[e->number] = (unsigned)e->gen;
	}
	*prev = 0;
	if (dict_get(p, trailer, "Prev", &entry, &v)) {
		at = v.start;
		if (!parse_uint(p, &at, &value) || value >= p->length) {
			bad_pdf(p, "the trailer's /Prev is bad");
			goto out;
		}
		*prev = (size_t)value;
	}
	status = 0;
out:
	free(entries);
	return status;
}

/* Header, startxref, every cross-reference section, trailer. */
static int pdf_open(pdf *p)
{
	static const char marker[] = "startxref";
	size_t at, tail, sections = 0, offset, prev = 0, seen[DEPTH_MAX];
	unsigned long long value;

	if (p->length < 16 || memcmp(p->data, "%PDF-1.", 7) != 0)
		return bad_pdf(p, "not a PDF file (no %%PDF-1.x header)");
	if (p->length > PDF_MAX)
		return bad_pdf(p, "larger than %zu bytes", PDF_MAX);
	tail = p->length > 1024 ? p->length - 1024 : 0;
	for (at = p->length - (sizeof marker - 1);
	     memcmp(p->data + at, marker, sizeof marker - 1) != 0; at--)
		if (at == tail)
			return bad_pdf(p, "no startxref at the end: truncated?");
	at += sizeof marker - 1;
	if (!parse_uint(p, &at, &value) || value >= p->length)
		return bad_pdf(p, "startxref has no offset: truncated?");
	while (at < p->length && is_space(p->data[at]))
		at++;              /* not skip_space(): "%%EOF" is a comment */
	if (p->length - at < 5 || memcmp(p->data + at, "%%EOF", 5) != 0)
		return bad_pdf(p, "no %%%%EOF at the end: truncated?");
	for (at += 5; at < p->length; at++)
		if (!is_space(p->data[at]))
			return bad_pdf(p, "data after the last %%%%EOF");
	p->startxref = offset = (size_t)value;
	do {
		size_t i;
		for (i = 0; i < sections; i++)
			if (seen[i] == offset)
				return bad_pdf(p, "the /Prev chain loops");
		if (sections == DEPTH_MAX)
			return bad_pdf(p, "too many updates");
		seen[sections] = offset;
		if (read_xref(p, offset, sections++ == 0, &prev) != 0)
			return -1;
		offset = prev;
	} while (offset != 0);
	return 0;
}

static void pdf_close(pdf *p)
{
	free(p->offset);
	free(p->gen);
	free(p->state);
}

typedef struct page_list {
	long *numbers;
	size_t count, capacity;
} page_list;

/* Leaves of the page tree under node, in order. */
static int collect_pages(pdf *p, long node, int depth, page_list *pages)
{
	span dict, entry, type, kids;
	size_t at;

	if (depth > DEPTH_MAX || (p->state[node] & SEEN_TREE))
		return bad_pdf(p, "the page tree loops");
	p->state[node] |= SEEN_TREE;
	if (read_object(p, node, &dict) != 0)
		return -1;
	if (!is_dict(p, dict))
		return bad_pdf(p, "page tree node %ld is not a dictionary", node);
	if (!dict_get(p, dict, "Type", &entry, &type))
		type.start = type.end = 0;
	if (span_is(p, type, "/Page") && node != p->root) {
		pages->numbers = xgrow(pages->numbers, &pages->capacity,
		                       pages->count + 1, sizeof *pages->numbers);
		pages->numbers[pages->count++] = node;
		return 0;
	}
	if (!dict_get(p, dict, "Kids", &entry, &kids)
	    || p->data[kids.start] != '[')
		return bad_pdf(p, "page tree node %ld has no /Kids array", node);
	for (at = kids.start + 1;;) {
		span kid;
		long number;
		kid.start = skip_space(p, at);
		if (p->data[kid.start] == ']')
			return 0;
		at = kid.start;
		if (!skip_value(p, &at, 1))
			return bad_pdf(p, "page tree node %ld is damaged", node);
		kid.end = at;
		if (!span_ref(p, kid, &number))
			return bad_pdf(p, "page tree node %ld has a bad kid", node);
		if (collect_pages(p, number, depth + 1, pages) != 0)
			return -1;
	}
}

/* Every page, in order, from the catalog's /Pages. */
static int find_pages(pdf *p, page_list *pages)
{
	span catalog, entry, v;
	long tree;

	if (read_object(p, p->root, &catalog) != 0)
		return -1;
	if (!is_dict(p, catalog) || !dict_get(p, catalog, "Pages", &entry, &v)
	    || !span_ref(p, v, &tree))
		return bad_pdf(p, "the catalog has no /Pages");
	if (collect_pages(p, tree, 0, pages) != 0)
		return -1;
	if (pages->count == 0)
		return bad_pdf(p, "the document has no pages");
	return 0;
}

/* ---------------------------------------------------- the update itself */

typedef struct changed {
	long number;
	unsigned gen;
	size_t offset;
} changed;

typedef struct update {
	buf out;
	changed objects[8];
	size_t count;
	size_t byterange_at, hex_at, hex_end;
} update;

static void begin_object(update *u, long number, unsigned gen)
{
	changed *c = &u->objects[u->count++];

	c->number = number;
	c->gen = gen;
	c->offset = u->out.length;
	buf_printf(&u->out, "%ld %u obj\n", number, gen);
}

/* Opens a rewritten dictionary: "<<" and dict's entries but `skip` (may
 * be empty); the caller adds entries and closes it with end_dict(). */
static void begin_dict(update *u, const pdf *p, span dict, span skip)
{
	size_t inner = dict.start + 2, close = dict.end - 2;

	buf_str(&u->out, "<<");
	if (skip.end > skip.start) {
		buf_add(&u->out, p->data + inner, skip.start - inner);
		buf_add(&u->out, p->data + skip.end, close - skip.end);
	} else
		buf_add(&u->out, p->data + inner, close - inner);
	if (u->out.data[u->out.length - 1] != '\n')
		buf_str(&u->out, "\n");
}

static void end_dict(update *u)
{
	buf_str(&u->out, "\n>>\nendobj\n");
}

static int add_catalog(update *u, const pdf *p, long widget)
{
	span dict, entry, v, none = { 0, 0 };

	if (read_object(p, p->root, &dict) != 0)
		return -1;
	if (!is_dict(p, dict))
		return bad_pdf(p, "the catalog is not a dictionary");
	if (dict_get(p, dict, "AcroForm", &entry, &v))
		return bad_pdf(p, "the file already has a form (/AcroForm): "
		               "it may be signed already");
	begin_object(u, p->root, p->gen[p->root]);
	begin_dict(u, p, dict, none);
	buf_printf(&u->out, "/AcroForm << /Fields [%ld 0 R] /SigFlags 3 >>",
	           widget);
	if (!dict_get(p, dict, "Version", &entry, &v))
		buf_str(&u->out, "\n/Version /1.7");
	if (!dict_get(p, dict, "Extensions", &entry, &v))
		buf_str(&u->out, "\n/Extensions << /ESIC << /BaseVersion /1.7 "
		        "/ExtensionLevel 2 >> >>");
	end_dict(u);
	return 0;
}

/* The elements of an array span, without its brackets. */
static void put_array_inner(update *u, const pdf *p, span array)
{
	buf_add(&u->out, p->data + array.start + 1, array.end - array.start - 2);
}

/* Adds the widget to the page's /Annots: a new entry, the direct array
 * extended, or the array object it refers to rewritten. */
static int add_page_annots(update *u, const pdf *p, long page, long widget)
{
	span dict, entry, v, none = { 0, 0 };
	long number;

	if (read_object(p, page, &dict) != 0)
		return -1;
	if (!is_dict(p, dict))
		return bad_pdf(p, "page object %ld is not a dictionary", page);
	if (!dict_get(p, dict, "Annots", &entry, &v)) {
		begin_object(u, page, p->gen[page]);
		begin_dict(u, p, dict, none);
		buf_printf(&u->out, "/Annots [%ld 0 R]", widget);
		end_dict(u);
		return 0;
	}
	if (p->data[v.start] == '[') {
		begin_object(u, page, p->gen[page]);
		begin_dict(u, p, dict, entry);
		buf_str(&u->out, "/Annots [");
		put_array_inner(u, p, v);
		buf_printf(&u->out, " %ld 0 R]", widget);
		end_dict(u);
		return 0;
	}
	if (!span_ref(p, v, &number) || number == page || number == p->root
	    || read_object(p, number, &v) != 0 || p->data[v.start] != '[')
		return bad_pdf(p, "page object %ld has a bad /Annots", page);
	begin_object(u, number, p->gen[number]);
	buf_str(&u->out, "[");
	put_array_inner(u, p, v);
	buf_printf(&u->out, " %ld 0 R]\nendobj\n", widget);
	return 0;
}

static int add_rect(update *u, const pdf *p, const double *rect, double *w,
                    double *h)
{
	double r[4] = { 0, 0, 0, 0 };
	int i;

	for (i = 0; rect != NULL && i < 4; i++) {
		if (!isfinite(rect[i]) || fabs(rect[i]) > 1e7)
			return bad_pdf(p, "the signature rectangle is not a "
			               "finite box");
		r[i] = rect[i];
	}
	buf_str(&u->out, "/Rect [");
	buf_number(&u->out, fmin(r[0], r[2]));
	buf_str(&u->out, " ");
	buf_number(&u->out, fmin(r[1], r[3]));
	buf_str(&u->out, " ");
	buf_number(&u->out, fmax(r[0], r[2]));
	buf_str(&u->out, " ");
	buf_number(&u->out, fmax(r[1], r[3]));
	buf_str(&u->out, "]");
	*w = fabs(r[2] - r[0]);
	*h = fabs(r[3] - r[1]);
	return 0;
}

static void add_signature_dict(update *u, const signer *s, long number,
                               date_t date)
{
	int year, month, day;

	date_to_ymd(date, &year, &month, &day);
	begin_object(u, number, 0);
	buf_str(&u->out, "<< /Type /Sig /Filter /Adobe.PPKLite "
	        "/SubFilter /ETSI.CAdES.detached\n/ByteRange [");
	u->byterange_at = u->out.length;
	buf_fill(&u->out, ' ', BYTERANGE_WIDTH);
	buf_str(&u->out, "]\n/Contents <");
	u->hex_at = u->out.length;
	buf_fill(&u->out, '0', 2 * s->reserve);
	u->hex_end = u->out.length;
	buf_printf(&u->out, ">\n/M (D:%04d%02d%02d000000Z)\n/Name ", year,
	           month, day);
	buf_text_string(&u->out, s->name);
	buf_str(&u->out, "\n>>\nendobj\n");
}

static int add_widget(update *u, const pdf *p, long number, long sig,
                      long page, const double *rect)
{
	double w = 0, h = 0;

	begin_object(u, number, 0);
	buf_printf(&u->out, "<< /Type /Annot /Subtype /Widget /FT /Sig "
	           "/T (Signature1) /V %ld 0 R\n/F 132 /P %ld %u R ", sig,
	           page, p->gen[page]);
	if (add_rect(u, p, rect, &w, &h) != 0)
		return -1;
	buf_printf(&u->out, "\n/AP << /N %ld 0 R >>\n>>\nendobj\n", number + 1);
	begin_object(u, number + 1, 0);
	buf_str(&u->out, "<< /Type /XObject /Subtype /Form /BBox [0 0 ");
	buf_number(&u->out, w);
	buf_str(&u->out, " ");
	buf_number(&u->out, h);
	buf_str(&u->out, "] /Resources << >> /Length 0 >>\nstream\n\n"
	        "endstream\nendobj\n");
	return 0;
}

static int compare_changed(const void *a, const void *b)
{
	long x = ((const changed *)a)->number, y = ((const changed *)b)->number;
	return (x > y) - (x < y);
}

static void add_xref_trailer(update *u, const pdf *p,
                             const unsigned char id[16])
{
	size_t xref_at = u->out.length, i, j;

	qsort(u->objects, u->count, sizeof *u->objects, compare_changed);
	buf_str(&u->out, "xref\n");
	for (i = 0; i < u->count; i = j) {
		for (j = i + 1; j < u->count
		     && u->objects[j].number == u->objects[j - 1].number + 1; j++)
			;
		buf_printf(&u->out, "%ld %zu\n", u->objects[i].number, j - i);
		for (; i < j; i++)
			buf_printf(&u->out, "%010zu %05u n\r\n",
			           u->objects[i].offset, u->objects[i].gen);
	}
	buf_printf(&u->out, "trailer\n<< /Size %ld /Root %ld %u R", p->size + 3,
	           p->root, p->gen[p->root]);
	if (p->info != 0)
		buf_printf(&u->out, " /Info %ld %u R", p->info, p->gen[p->info]);
	buf_str(&u->out, "\n/ID [");
	if (p->id0.end > p->id0.start)
		buf_add(&u->out, p->data + p->id0.start,
		        p->id0.end - p->id0.start);
	else {
		buf_str(&u->out, "<");
		buf_hex(&u->out, id, 16);
		buf_str(&u->out, ">");
	}
	buf_str(&u->out, " <");
	buf_hex(&u->out, id, 16);
	buf_printf(&u->out, ">]\n/Prev %zu >>\nstartxref\n%zu\n%%%%EOF\n",
	           p->startxref, xref_at);
}

/* ------------------------------------------------ signing and checking */

static int hex_value(unsigned char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* Reads back what was written: the CMS from /Contents, the content from
 * the byte ranges; checks digest and signature, that the signer is ours,
 * that signingCertificateV2 is there and no signingTime slipped in.  (Not
 * CMS_CADES: OpenSSL 3.0 then insists on verifying the chain to a trusted
 * root, at the wall-clock time.) */
static bool verify_written(const signer *s, const unsigned char *data,
                           size_t a, size_t b, size_t end)
{
	size_t der_length = (b - a - 2) / 2, i;
	unsigned char *der = xmalloc(der_length), *content;
	const unsigned char *cursor = der;
	CMS_ContentInfo *cms;
	STACK_OF(CMS_SignerInfo) *infos;
	CMS_SignerInfo *si;
	STACK_OF(X509) *signers = NULL;
	BIO *bio;
	bool good = false;

	for (i = 0; i < der_length; i++)
		der[i] = (unsigned char)(hex_value(data[a + 1 + 2 * i]) << 4
		                         | hex_value(data[a + 2 + 2 * i]));
	cms = d2i_CMS_ContentInfo(NULL, &cursor, (long)der_length);
	free(der);
	content = xmalloc(a + (end - b) + 1);
	memcpy(content, data, a);
	memcpy(content + a, data + b, end - b);
	bio = BIO_new_mem_buf(content, (int)(a + (end - b)));
	if (cms != NULL && bio != NULL
	    && CMS_verify(cms, NULL, NULL, bio, NULL, CMS_DETACHED | CMS_BINARY
	                  | CMS_NO_SIGNER_CERT_VERIFY) == 1) {
		infos = CMS_get0_SignerInfos(cms);
		si = sk_CMS_SignerInfo_value(infos, 0);
		signers = CMS_get0_signers(cms);
		good = sk_CMS_SignerInfo_num(infos) == 1
		       && CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime,
		                                     -1) < 0
		       && CMS_signed_get_attr_by_NID(si,
		                  NID_id_smime_aa_signingCertificateV2, -1) >= 0
		       && sk_X509_num(signers) == 1
		       && X509_cmp(sk_X509_value(signers, 0), s->cert) == 0;
	}
	sk_X509_free(signers);
	BIO_free(bio);
	free(content);
	CMS_ContentInfo_free(cms);
	return good;
}

/* Signs the ranges' digest and writes the CMS in place, as hex. */
static int sign_in_place(const signer *s, const pdf *p, unsigned char *data,
                         size_t a, size_t b, const unsigned char *digest)
{
	unsigned char *der;
	size_t length, i;

	der = cms_sign_digest(s, digest, &length);
	if (der == NULL)
		return bad_pdf(p, "the CMS signature failed: %s", ssl_reason());
	if (2 * length > b - a - 2) {
		OPENSSL_free(der);
		return bad_pdf(p, "the signature (%zu bytes) does not fit the "
		               "%zu bytes reserved for it", length,
		               (b - a - 2) / 2);
	}
	for (i = 0; i < length; i++) {
		static const char digits[] = "0123456789abcdef";
		data[a + 1 + 2 * i] = (unsigned char)digits[der[i] >> 4];
		data[a + 2 + 2 * i] = (unsigned char)digits[der[i] & 15];
	}
	OPENSSL_free(der);
	return 0;
}

int doc_sign_buffer(const signer *s, const unsigned char *data, size_t length,
                    const char *name, const doc_sign_place *place,
                    unsigned char **out, size_t *out_length)
{
	pdf p = { .data = data, .length = length, .name = name };
	page_list pages = { 0 };
	update u = { 0 };
	unsigned char id[SHA256_LEN], digest[SHA256_LEN];
	EVP_MD_CTX *md = EVP_MD_CTX_new(), *id_md = EVP_MD_CTX_new();
	size_t a, b;
	long page, sig;
	char ranges[BYTERANGE_WIDTH + 1];
	int n;

	*out = NULL;
	*out_length = 0;
	if (check_validity(s, name, place->signing_date, "the signing date") != 0
	    || pdf_open(&p) != 0 || find_pages(&p, &pages) != 0)
		goto fail;
	if (place->page_index < -1 || (place->page_index >= 0
	    && (size_t)place->page_index >= pages.count)) {
		bad_pdf(&p, "no page %d to sign on (the document has %zu)",
		        place->page_index + 1, pages.count);
		goto fail;
	}
	page = pages.numbers[place->page_index < 0 ? pages.count - 1
	                     : (size_t)place->page_index];
	/* The input is hashed once: for /ID, and as the start of range 1. */
	if (md == NULL || id_md == NULL
	    || EVP_DigestInit_ex(md, EVP_sha256(), NULL) <= 0
	    || EVP_DigestUpdate(md, data, length) <= 0
	    || EVP_MD_CTX_copy_ex(id_md, md) <= 0
	    || EVP_DigestFinal_ex(id_md, id, NULL) <= 0) {
		bad_pdf(&p, "cannot compute SHA-256: %s", ssl_reason());
		goto fail;
	}
	sig = p.size;
	buf_add(&u.out, data, length);
	if (data[length - 1] != '\n' && data[length - 1] != '\r')
		buf_str(&u.out, "\n");
	add_signature_dict(&u, s, sig, place->signing_date);
	if (add_widget(&u, &p, sig + 1, sig, page, place->rect) != 0
	    || add_catalog(&u, &p, sig + 1) != 0
	    || add_page_annots(&u, &p, page, sig + 1) != 0)
		goto fail;
	add_xref_trailer(&u, &p, id);

	a = u.hex_at - 1;              /* the '<' */
	b = u.hex_end + 1;             /* after the '>' */
	n = snprintf(ranges, sizeof ranges, "0 %zu %zu %zu", a, b,
	             u.out.length - b);
	if (n < 0 || n > BYTERANGE_WIDTH) {
		bad_pdf(&p, "the file is too large");
		goto fail;
	}
	memcpy(u.out.data + u.byterange_at, ranges, (size_t)n);
	if (EVP_DigestUpdate(md, u.out.data + length, a - length) <= 0
	    || EVP_DigestUpdate(md, u.out.data + b, u.out.length - b) <= 0
	    || EVP_DigestFinal_ex(md, digest, NULL) <= 0) {
		bad_pdf(&p, "cannot compute SHA-256: %s", ssl_reason());
		goto fail;
	}
	if (sign_in_place(s, &p, u.out.data, a, b, digest) != 0)
		goto fail;
	if (!verify_written(s, u.out.data, a, b, u.out.length)) {
		ERR_clear_error();
		bad_pdf(&p, "the signature just made does not verify");
		goto fail;
	}
	EVP_MD_CTX_free(md);
	EVP_MD_CTX_free(id_md);
	pdf_close(&p);
	free(pages.numbers);
	*out = u.out.data;
	*out_length = u.out.length;
	return 0;
fail:
	EVP_MD_CTX_free(md);
	EVP_MD_CTX_free(id_md);
	pdf_close(&p);
	free(pages.numbers);
	free(u.out.data);
	return -1;
}

/* ------------------------------------------------------------ the files */

static unsigned char *read_pdf(const char *path, size_t *length)
{
	return read_whole_file(path, PDF_MAX, "too large to sign", false,
	                       length);
}

/* Writes path whole or not at all: a temporary name beside it, fsync,
 * rename.  (The directory is not fsynced: documents can be re-rendered.) */
static int write_atomically(const char *path, const unsigned char *data,
                            size_t length)
{
	static atomic_uint counter;
	char *temp = xasprintf("%s.tmp%ld.%u", path, (long)getpid(),
	                       atomic_fetch_add(&counter, 1));
	int fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	size_t done = 0;
	int status = -1;

	if (fd < 0) {
		diag_error(path, 0, "cannot create: %s", strerror(errno));
		free(temp);
		return -1;
	}
	while (done < length) {
		ssize_t n = write(fd, data + done, length - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			diag_error(path, 0, "cannot write: %s", strerror(errno));
			break;
		}
		done += (size_t)n;
	}
	if (done == length) {
		if (fsync(fd) != 0)
			diag_error(path, 0, "cannot write: %s", strerror(errno));
		else
			status = 0;
	}
	if (close(fd) != 0 && status == 0)
		status = diag_error(path, 0, "cannot write: %s", strerror(errno));
	if (status == 0 && rename(temp, path) != 0)
		status = diag_error(path, 0, "cannot rename into place: %s",
		                    strerror(errno));
	if (status != 0)
		unlink(temp);
	free(temp);
	return status;
}

int doc_sign_file(const signer *s, const char *in_path, const char *out_path,
                  int page_index, const double rect[4], date_t signing_date)
{
	doc_sign_place place = { page_index, rect, signing_date };
	unsigned char *input, *output;
	size_t in_length, out_length;
	int status;

	input = read_pdf(in_path, &in_length);
	if (input == NULL)
		return -1;
	status = doc_sign_buffer(s, input, in_length, in_path, &place, &output,
	                         &out_length);
	free(input);
	if (status == 0)
		status = write_atomically(out_path, output, out_length);
	free(output);
	return status;
}
