/* doc_sign: a libharu PDF signed in an incremental update, checked by the
 * tools readers use (pdfsig, qpdf, mutool, openssl cms), and every refusal
 * word for word.  The keys and certificates are made at test time with the
 * openssl command into $builddir/tests/tmp/doc_sign (mode 0600), from
 * tests/data/sign/openssl.cnf with fixed validity dates. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hpdf.h>
#include <openssl/evp.h>

#include "doc_sign.h"
#include "tap.h"
#include "util/date.h"
#include "util/diag.h"

#define LEAF_DATES "-startdate 20240101000000Z -enddate 20991231235959Z"
#define OLD_DATES "-startdate 20200101000000Z -enddate 20211231235959Z"

static char *dir;              /* scratch directory */
static char *config;           /* tests/data/sign/openssl.cnf */
static FILE *messages;         /* diag output, captured */
static date_t as_of;           /* 2026-11-26 */

/* ------------------------------------------------------------- helpers */

__attribute__((format(printf, 1, 2)))
static char *format(const char *fmt, ...)
{
	va_list args;
	char *text;
	int n;

	va_start(args, fmt);
	n = vsnprintf(NULL, 0, fmt, args);
	va_end(args);
	text = malloc((size_t)n + 1);
	if (text == NULL)
		bail("out of memory");
	va_start(args, fmt);
	vsnprintf(text, (size_t)n + 1, fmt, args);
	va_end(args);
	return text;
}

/* A file in the scratch directory (a static ring of names). */
static const char *at(const char *name)
{
	static char *ring[16];
	static unsigned next;
	char **slot = &ring[next++ % 16];

	free(*slot);
	*slot = format("%s/%s", dir, name);
	return *slot;
}

/* Runs a shell command in the scratch directory; its exit status. */
__attribute__((format(printf, 1, 2)))
static int run(const char *fmt, ...)
{
	va_list args;
	char command[4096], full[4200];
	int status;

	va_start(args, fmt);
	vsnprintf(command, sizeof command, fmt, args);
	va_end(args);
	snprintf(full, sizeof full, "cd '%s' && { %s ; }", dir, command);
	status = system(full);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Its standard output and error, owned by the caller. */
__attribute__((format(printf, 1, 2)))
static char *output(const char *fmt, ...)
{
	va_list args;
	char command[4096], full[4200];
	char *text = NULL;
	size_t length = 0;
	char chunk[4096];
	size_t got;
	FILE *pipe;

	va_start(args, fmt);
	vsnprintf(command, sizeof command, fmt, args);
	va_end(args);
	snprintf(full, sizeof full, "cd '%s' && { %s ; } 2>&1", dir, command);
	pipe = popen(full, "r");
	if (pipe == NULL)
		bail("cannot run %s", command);
	while ((got = fread(chunk, 1, sizeof chunk, pipe)) > 0) {
		text = realloc(text, length + got + 1);
		if (text == NULL)
			bail("out of memory");
		memcpy(text + length, chunk, got);
		length += got;
	}
	pclose(pipe);
	if (text == NULL)
		text = calloc(1, 1);
	else
		text[length] = '\0';
	return text;
}

static bool have(const char *tool)
{
	return run("command -v %s >/dev/null 2>&1", tool) == 0;
}

/* Does the command's output contain needle?  Shows the output if not. */
static bool says(const char *needle, const char *command)
{
	char *text = output("%s", command);
	bool found = strstr(text, needle) != NULL;

	if (!found)
		diag("%s:\n%s", command, text);
	free(text);
	return found;
}

/* The diagnostics printed since the last call. */
static char *take_messages(void)
{
	long length;
	char *text;

	fflush(messages);
	length = ftell(messages);
	text = calloc(1, (size_t)length + 1);
	rewind(messages);
	if (text == NULL || fread(text, 1, (size_t)length, messages)
	                    != (size_t)length)
		bail("cannot read back the messages");
	rewind(messages);
	if (ftruncate(fileno(messages), 0) != 0)
		bail("cannot truncate the messages");
	return text;
}

/* A loading that must fail with exactly `wanted` (one line). */
static void refused(signer *s, const char *wanted, const char *what)
{
	char *seen = take_messages();

	if (s != NULL) {
		signer_free(s);
		free(seen);
		seen = format("(loaded)");
	}
	is_string(wanted, seen, "%s", what);
	free(seen);
}

static void expect_message(const char *wanted, const char *what)
{
	char *seen = take_messages();
	is_string(wanted, seen, "%s", what);
	free(seen);
}

static unsigned char *slurp(const char *path, size_t *length)
{
	unsigned char *data = (unsigned char *)test_read_file(path, length);
	if (data == NULL)
		bail("cannot read %s: %s", path, strerror(errno));
	return data;
}

static void spill(const char *path, const void *data, size_t length)
{
	FILE *file = fopen(path, "wb");
	if (file == NULL || fwrite(data, 1, length, file) != length
	    || fclose(file) != 0)
		bail("cannot write %s", path);
}

static bool contains(const unsigned char *data, size_t length,
                     const char *needle)
{
	return memmem(data, length, needle, strlen(needle)) != NULL;
}

/* ------------------------------------------------------ test material */

static void make_pki(void)
{
	static const char *const steps[] = {
		"mkdir -p issued && : > index.txt && echo 01 > serial",
		"openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048"
		" -out ca.key",
		"openssl req -new -config \"$CNF\" -key ca.key"
		" -subj '/CN=Mandate Test CA' -out ca.csr",
		"openssl ca -batch -config \"$CNF\" -selfsign -keyfile ca.key"
		" -in ca.csr " LEAF_DATES " -extensions v3_ca -notext -out ca.pem",
		"openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048"
		" -out leaf.key",
		"openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048"
		" -out other.key",
		"openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256"
		" -out ec.key",
		"openssl genpkey -algorithm ED25519 -out ed.key",
		"openssl pkey -in leaf.key -aes256 -passout pass:x -out enc.key",
		"sign() { openssl req -new -config \"$CNF\" -key $1 -subj \"$3\""
		" -out $2.csr && openssl ca -batch -utf8 -config \"$CNF\""
		" -cert ca.pem -keyfile ca.key -in $2.csr $4 -extensions v3_leaf"
		" -notext -out $2.pem; }"
		" && sign leaf.key leaf"
		" '/O=Mandate Test Firm/CN=Mandate Test Signer' '" LEAF_DATES "'"
		" && sign leaf.key old '/CN=Mandate Old Signer' '" OLD_DATES "'"
		" && sign leaf.key cyr '/CN=Иван Петров' '" LEAF_DATES "'"
		" && sign leaf.key nocn '/C=RU/O=Mandate Test Firm' '"
		LEAF_DATES "'"
		" && sign ec.key ec '/CN=Mandate EC Signer' '" LEAF_DATES "'"
		" && sign ed.key ed '/CN=Mandate Ed Signer' '" LEAF_DATES "'",
		"PW='correct horse' openssl pkcs12 -export -inkey leaf.key"
		" -in leaf.pem -certfile ca.pem -passout env:PW -out leaf.p12",
		"chmod 600 *.key leaf.p12",
		"cp leaf.key loose.key && chmod 644 loose.key",
		"cp leaf.p12 loose.p12 && chmod 644 loose.p12",
	};
	size_t i;

	for (i = 0; i < sizeof steps / sizeof *steps; i++)
		if (run("{ %s ; } >pki.log 2>&1", steps[i]) != 0)
			bail("making the test PKI failed at: %s (see %s)", steps[i],
			     at("pki.log"));
}

/* What the renderer hands over: libharu output, two pages of base14 text. */
static HPDF_Doc make_doc(bool link)
{
	HPDF_Doc pdf = HPDF_New(NULL, NULL);
	HPDF_Font font;
	int i;

	if (pdf == NULL)
		bail("HPDF_New failed");
	font = HPDF_GetFont(pdf, "Helvetica", NULL);
	for (i = 1; i <= 2; i++) {
		HPDF_Page page = HPDF_AddPage(pdf);
		char line[64];
		snprintf(line, sizeof line, "mandate signing test, page %d", i);
		HPDF_Page_BeginText(page);
		HPDF_Page_SetFontAndSize(page, font, 12);
		HPDF_Page_TextOut(page, 50, 750, line);
		HPDF_Page_EndText(page);
		if (link) {
			HPDF_Rect where = { 50, 740, 250, 765 };
			HPDF_Page_CreateURILinkAnnot(page, where,
			                             "https://example.org/");
		}
	}
	return pdf;
}

static bool make_pdf(const char *path, bool link)
{
	HPDF_Doc pdf = make_doc(link);
	bool done = HPDF_SaveToFile(pdf, path) == HPDF_OK;
	HPDF_Free(pdf);
	return done;
}

static unsigned char *make_pdf_stream(size_t *length)
{
	HPDF_Doc pdf = make_doc(false);
	HPDF_UINT32 size;
	unsigned char *data;

	if (HPDF_SaveToStream(pdf) != HPDF_OK)
		bail("HPDF_SaveToStream failed");
	size = HPDF_GetStreamSize(pdf);
	data = malloc(size + 1);
	HPDF_ResetStream(pdf);
	if (data == NULL || HPDF_ReadFromStream(pdf, data, &size) != HPDF_OK)
		bail("HPDF_ReadFromStream failed");
	HPDF_Free(pdf);
	*length = size;
	return data;
}

/* Writes ranges.bin (the signed bytes) and sig.der (the CMS) of a signed
 * file, as a reader would find them through /ByteRange. */
static bool extract(const unsigned char *pdf, size_t length)
{
	const char *key = "/ByteRange [";
	const unsigned char *found = NULL, *p = pdf;
	size_t a, b, c, der_length, i;
	unsigned char *der, *ranges;

	while ((p = memmem(p, length - (size_t)(p - pdf), key, strlen(key)))
	       != NULL)
		found = p++;
	if (found == NULL
	    || sscanf((const char *)found + strlen(key), "0 %zu %zu %zu", &a, &b,
	              &c) != 3 || b + c != length || pdf[a] != '<')
		return false;
	der = calloc(1, (b - a) / 2);
	for (i = 0; i < (b - a - 2) / 2; i++) {
		unsigned v;
		sscanf((const char *)pdf + a + 1 + 2 * i, "%2x", &v);
		der[i] = (unsigned char)v;
	}
	/* DER length: 30 82 hi lo */
	der_length = der[1] == 0x82 ? (size_t)(der[2] << 8 | der[3]) + 4 : 0;
	if (der[0] != 0x30 || der_length == 0 || der_length > (b - a) / 2) {
		free(der);
		return false;
	}
	spill(at("sig.der"), der, der_length);
	ranges = malloc(a + c);
	memcpy(ranges, pdf, a);
	memcpy(ranges + a, pdf + b, c);
	spill(at("ranges.bin"), ranges, a + c);
	free(ranges);
	free(der);
	return true;
}

/* The number of references in the last /Annots array of a file. */
static int annots_count(const unsigned char *pdf, size_t length)
{
	const unsigned char *p = pdf, *last = NULL;
	int count = 0;

	while ((p = memmem(p, length - (size_t)(p - pdf), "/Annots [", 9))
	       != NULL)
		last = p++;
	for (p = last; p != NULL && p < pdf + length && *p != ']'; p++)
		if (*p == 'R')
			count++;
	return count;
}

static void id_hex(const unsigned char *data, size_t length, char hex[33])
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	int i;

	if (EVP_Digest(data, length, digest, NULL, EVP_sha256(), NULL) != 1)
		bail("SHA-256 failed");
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02X", digest[i]);
}

/* ------------------------------------------------------------- the tests */

static const double rect[4] = { 50, 60, 250.5, 110 };

static void check_signed(const unsigned char *unsigned_pdf, size_t unsigned_length)
{
	size_t length;
	unsigned char *pdf = slurp(at("signed.pdf"), &length);
	char hex[33], *wanted;
	bool have_qpdf = have("qpdf"), have_pdfsig = have("pdfsig");

	ok(length > unsigned_length
	   && memcmp(pdf, unsigned_pdf, unsigned_length) == 0,
	   "the signature is an incremental update: the original bytes stay");
	ok(contains(pdf, length, "/M (D:20261126000000Z)"),
	   "/M is the signing date at midnight UTC, no wall clock");
	ok(contains(pdf, length, "/Filter /Adobe.PPKLite "
	            "/SubFilter /ETSI.CAdES.detached"), "/SubFilter CAdES");
	id_hex(unsigned_pdf, unsigned_length, hex);
	wanted = format("/ID [<%s> <%s>]", hex, hex);
	ok(contains(pdf, length, wanted), "/ID is SHA-256 of the unsigned file");
	free(wanted);
	ok(contains(pdf, length, "/Rect [50 60 250.50 110]"), "/Rect as asked");

	if (have_qpdf)
		ok(run("qpdf --check signed.pdf >qpdf.out 2>&1") == 0
		   && says("No syntax or stream encoding errors",
		           "cat qpdf.out"), "qpdf --check is clean");
	else
		skip("qpdf not installed");
	if (have_pdfsig) {
		char *text = output("pdfsig signed.pdf");
		ok(strstr(text, "Signature Validation: Signature is Valid.")
		   != NULL, "pdfsig: Signature is Valid.");
		ok(strstr(text, "Total document signed") != NULL,
		   "pdfsig: Total document signed");
		ok(strstr(text, "Signature Type: ETSI.CAdES.detached") != NULL
		   && strstr(text, "Signing Time: Nov 26 2026 00:00:00") != NULL,
		   "pdfsig: CAdES, signing time from /M");
		if (strstr(text, "Valid.") == NULL)
			diag("%s", text);
		free(text);
	} else {
		skip("pdfsig not installed");
		skip("pdfsig not installed");
		skip("pdfsig not installed");
	}
	if (have_pdfsig && have("certutil"))
		ok(run("rm -rf nss && mkdir nss"
		       " && certutil -N --empty-password -d sql:nss"
		       " && certutil -A -n ca -t CT,C,C -i ca.pem -d sql:nss")
		   == 0 && says("Certificate Validation: Certificate is Trusted.",
		                "pdfsig -nssdir sql:nss signed.pdf"),
		   "pdfsig with the CA in an NSS db: Certificate is Trusted.");
	else
		skip("pdfsig or certutil not installed");

	ok(extract(pdf, length)
	   && run("openssl cms -verify -binary -inform DER -cades"
	          " -CAfile ca.pem -content ranges.bin -in sig.der"
	          " -out /dev/null 2>cms.err") == 0,
	   "openssl cms -verify -cades over the extracted ranges");
	{
		char *text = output("openssl cms -cmsout -print -inform DER"
		                    " -in sig.der");
		ok(strstr(text, "signingTime") == NULL,
		   "the CMS has no signingTime (PAdES baseline)");
		ok(strstr(text, "id-smime-aa-signingCertificateV2") != NULL,
		   "the CMS has signingCertificateV2");
		ok(strstr(text, "object: contentType") != NULL
		   && strstr(text, "object: messageDigest") != NULL
		   && strstr(text, "algorithm: sha256 ") != NULL,
		   "content-type and message-digest (SHA-256) are signed");
		free(text);
	}
	if (have("mutool"))
		ok(says("The document is unchanged since signing.",
		        "mutool sign -v signed.pdf"),
		   "mutool sign -v agrees");
	else
		skip("mutool not installed");

	/* One byte changed inside the first signed range. */
	pdf[unsigned_length / 2] ^= 0x01;
	spill(at("flipped.pdf"), pdf, length);
	if (have_pdfsig)
		ok(says("Signature Validation: Digest Mismatch.",
		        "pdfsig flipped.pdf"), "pdfsig: a flipped byte is a "
		   "Digest Mismatch.");
	else
		skip("pdfsig not installed");
	if (have("mutool"))
		ok(says("Signature invalidated by change to document",
		        "mutool sign -v flipped.pdf"),
		   "mutool: a flipped byte invalidates it");
	else
		skip("mutool not installed");
	free(pdf);
}

static void check_variants(const signer *s, const unsigned char *unsigned_pdf,
                           size_t unsigned_length)
{
	unsigned char *first, *again, *stream, *out;
	size_t first_length, again_length, stream_length, out_length;
	doc_sign_place place = { -1, rect, as_of };
	unsigned long page1;
	const char *kids;

	first = slurp(at("signed.pdf"), &first_length);
	is_int(0, doc_sign_file(s, at("unsigned.pdf"), at("again.pdf"), -1,
	                        rect, as_of), "signing again");
	again = slurp(at("again.pdf"), &again_length);
	ok(again_length == first_length
	   && memcmp(first, again, first_length) == 0,
	   "reproducible: the same input, key and date give the same bytes");
	free(again);

	stream = make_pdf_stream(&stream_length);
	ok(stream_length == unsigned_length
	   && memcmp(stream, unsigned_pdf, unsigned_length) == 0,
	   "HPDF_SaveToStream writes what HPDF_SaveToFile writes");
	ok(doc_sign_buffer(s, stream, stream_length, "stream", &place, &out,
	                   &out_length) == 0 && out_length == first_length
	   && memcmp(out, first, first_length) == 0,
	   "doc_sign_buffer signs the stream to the same bytes");
	free(out);
	free(stream);
	free(first);

	/* On the first page; invisible. */
	kids = strstr((const char *)unsigned_pdf, "/Kids [ ");
	if (kids == NULL || sscanf(kids, "/Kids [ %lu 0 R", &page1) != 1)
		bail("no /Kids in libharu's output");
	is_int(0, doc_sign_file(s, at("unsigned.pdf"), at("first.pdf"), 0,
	                        rect, as_of), "signing on the first page");
	out = slurp(at("first.pdf"), &out_length);
	{
		char *wanted = format("/P %lu 0 R", page1);
		ok(contains(out, out_length, wanted),
		   "the widget is on the first page");
		free(wanted);
	}
	free(out);
	is_int(0, doc_sign_file(s, at("unsigned.pdf"), at("invisible.pdf"), -1,
	                        NULL, as_of), "an invisible signature");
	out = slurp(at("invisible.pdf"), &out_length);
	ok(contains(out, out_length, "/Rect [0 0 0 0]"), "has /Rect [0 0 0 0]");
	free(out);
	if (have("pdfsig") && have("qpdf"))
		ok(says("Signature is Valid.", "pdfsig first.pdf")
		   && says("Signature is Valid.", "pdfsig invisible.pdf")
		   && run("qpdf --check first.pdf >/dev/null"
		          " && qpdf --check invisible.pdf >/dev/null") == 0,
		   "both valid and clean");
	else
		skip("pdfsig or qpdf not installed");

	/* A page with a link annotation: its /Annots array is extended. */
	if (!make_pdf(at("link.pdf"), true))
		bail("libharu cannot write link.pdf");
	is_int(0, doc_sign_file(s, at("link.pdf"), at("link-signed.pdf"), -1,
	                        rect, as_of), "signing a page with a link");
	out = slurp(at("link-signed.pdf"), &out_length);
	ok(annots_count(out, out_length) == 2, "its /Annots has the link and "
	   "the widget");
	free(out);
	if (have("pdfsig") && have("qpdf"))
		ok(says("Signature is Valid.", "pdfsig link-signed.pdf")
		   && run("qpdf --check link-signed.pdf >/dev/null") == 0,
		   "valid and clean");
	else
		skip("pdfsig or qpdf not installed");

	/* In place: out_path == in_path. */
	run("cp unsigned.pdf inplace.pdf");
	is_int(0, doc_sign_file(s, at("inplace.pdf"), at("inplace.pdf"), -1,
	                        rect, as_of), "signing a file in place");
	out = slurp(at("inplace.pdf"), &out_length);
	again = slurp(at("signed.pdf"), &again_length);
	ok(out_length == again_length && memcmp(out, again, out_length) == 0,
	   "gives the same bytes");
	free(out);
	free(again);
	ok(run("ls | grep -q '\\.tmp'") != 0, "no temporary file is left");
}

static void check_other_signers(void)
{
	signer *s;
	size_t length, other_length;
	unsigned char *pdf, *other;

	setenv("PW", "correct horse", 1);
	s = signer_load_pkcs12(at("leaf.p12"), "PW", as_of);
	ok(s != NULL, "a PKCS#12 file loads with the password from $PW");
	if (s != NULL && doc_sign_file(s, at("unsigned.pdf"), at("p12.pdf"), -1,
	                               rect, as_of) == 0) {
		pdf = slurp(at("signed.pdf"), &length);
		other = slurp(at("p12.pdf"), &other_length);
		ok(length == other_length && memcmp(pdf, other, length) == 0,
		   "and signs exactly as the same key and chain in PEM");
		free(pdf);
		free(other);
	} else
		ok(false, "signing with the PKCS#12 signer");
	signer_free(s);

	s = signer_load_pem(at("leaf.key"), at("cyr.pem"), NULL, as_of);
	is_string("Иван Петров", s != NULL ? signer_name(s) : NULL,
	          "a Cyrillic CN is the name");
	if (s != NULL && doc_sign_file(s, at("unsigned.pdf"), at("cyr.pdf"), -1,
	                               rect, as_of) == 0) {
		pdf = slurp(at("cyr.pdf"), &length);
		ok(contains(pdf, length, "/Name <FEFF041804320430043D0020"
		                         "041F043504420440043E0432>"),
		   "/Name is written as UTF-16BE");
		free(pdf);
	} else
		ok(false, "signing with the Cyrillic name");
	signer_free(s);

	s = signer_load_pem(at("leaf.key"), at("nocn.pem"), NULL, as_of);
	is_string("O=Mandate Test Firm,C=RU", s != NULL ? signer_name(s) : NULL,
	          "without a CN the subject is the name");
	signer_free(s);

	s = signer_load_pem(at("ec.key"), at("ec.pem"), at("ca.pem"), as_of);
	ok(s != NULL && !signer_deterministic(s),
	   "an EC key loads (and says it is not deterministic)");
	ok(s != NULL && doc_sign_file(s, at("unsigned.pdf"), at("ec.pdf"), -1,
	                              rect, as_of) == 0
	   && (!have("pdfsig") || says("Signature is Valid.", "pdfsig ec.pdf")),
	   "and signs validly");
	signer_free(s);
}

static void check_refusals(const signer *s)
{
	signer *other;
	char *wanted;

	refused(signer_load_pem(at("loose.key"), at("leaf.pem"), NULL, as_of),
	        (wanted = format("mandate: %s: error: holds a private key but "
	                         "is accessible by group or others (mode 0644):"
	                         " chmod 600 it\n", at("loose.key"))),
	        "a key file readable by others is refused");
	free(wanted);
	refused(signer_load_pkcs12(at("loose.p12"), "PW", as_of),
	        (wanted = format("mandate: %s: error: holds a private key but "
	                         "is accessible by group or others (mode 0644):"
	                         " chmod 600 it\n", at("loose.p12"))),
	        "so is a PKCS#12 file readable by others");
	free(wanted);
	refused(signer_load_pem(at("other.key"), at("leaf.pem"), NULL, as_of),
	        (wanted = format("mandate: %s: error: the certificate does not "
	                         "match the private key %s\n", at("leaf.pem"),
	                         at("other.key"))),
	        "a certificate that does not match the key");
	free(wanted);
	setenv("WRONG_PW", "battery staple", 1);
	refused(signer_load_pkcs12(at("leaf.p12"), "WRONG_PW", as_of),
	        (wanted = format("mandate: %s: error: wrong password (taken from "
	                         "the environment variable WRONG_PW)\n",
	                         at("leaf.p12"))),
	        "a wrong PKCS#12 password");
	free(wanted);
	unsetenv("UNSET_PW");
	refused(signer_load_pkcs12(at("leaf.p12"), "UNSET_PW", as_of),
	        (wanted = format("mandate: %s: error: the password variable "
	                         "UNSET_PW is not set\n", at("leaf.p12"))),
	        "an unset password variable");
	free(wanted);
	refused(signer_load_pem(at("leaf.key"), at("old.pem"), NULL, as_of),
	        (wanted = format("mandate: %s: error: certificate is not valid on "
	                         "the as-of date 2026-11-26: it expired on "
	                         "2021-12-31 (notAfter 2021-12-31 23:59:59 UTC)\n",
	                         at("old.pem"))),
	        "an expired certificate, naming notAfter");
	free(wanted);
	refused(signer_load_pem(at("leaf.key"), at("old.pem"), NULL,
	                        date_from_ymd(2019, 12, 31)),
	        (wanted = format("mandate: %s: error: certificate is not valid on "
	                         "the as-of date 2019-12-31: it is valid only "
	                         "from 2020-01-01 (notBefore 2020-01-01 00:00:00 "
	                         "UTC)\n", at("old.pem"))),
	        "a certificate not yet valid, naming notBefore");
	free(wanted);
	other = signer_load_pem(at("leaf.key"), at("old.pem"), NULL,
	                        date_from_ymd(2021, 12, 31));
	ok(other != NULL, "the last day of validity is still valid");
	signer_free(other);
	free(take_messages());
	refused(signer_load_pem(at("absent.key"), at("leaf.pem"), NULL, as_of),
	        (wanted = format("mandate: %s: error: cannot open: No such file "
	                         "or directory\n", at("absent.key"))),
	        "a missing key file");
	free(wanted);
	refused(signer_load_pem(at("leaf.key"), at("absent.pem"), NULL, as_of),
	        (wanted = format("mandate: %s: error: cannot open: No such file "
	                         "or directory\n", at("absent.pem"))),
	        "a missing certificate file");
	free(wanted);
	refused(signer_load_pem(at("leaf.key"), at("leaf.pem"), at("absent.pem"),
	                        as_of),
	        (wanted = format("mandate: %s: error: cannot open: No such file "
	                         "or directory\n", at("absent.pem"))),
	        "a missing chain file");
	free(wanted);
	refused(signer_load_pkcs12(at("absent.p12"), NULL, as_of),
	        (wanted = format("mandate: %s: error: cannot open: No such file "
	                         "or directory\n", at("absent.p12"))),
	        "a missing PKCS#12 file");
	free(wanted);
	refused(signer_load_pem(at("enc.key"), at("leaf.pem"), NULL, as_of),
	        (wanted = format("mandate: %s: error: the private key is "
	                         "encrypted: give it as a PKCS#12 file with its "
	                         "password in --pass-env\n", at("enc.key"))),
	        "an encrypted PEM key");
	free(wanted);
	refused(signer_load_pem(at("leaf.key"), at("unsigned.pdf"), NULL, as_of),
	        (wanted = format("mandate: %s: error: no PEM certificate found\n",
	                         at("unsigned.pdf"))),
	        "a certificate file without a certificate");
	free(wanted);
	refused(signer_load_pem(at("ed.key"), at("ed.pem"), NULL, as_of),
	        (wanted = format("mandate: %s: error: unsupported key type "
	                         "ED25519: use an RSA or EC key\n", at("ed.key"))),
	        "an Ed25519 key");
	free(wanted);

	/* Signing-time refusals: nothing is written. */
	is_int(-1, doc_sign_file(s, at("unsigned.pdf"), at("late.pdf"), -1, rect,
	                         date_from_ymd(2100, 1, 1)),
	       "a signing date after notAfter fails");
	expect_message((wanted = format("mandate: %s: error: certificate is not "
	                                "valid on the signing date 2100-01-01: it"
	                                " expired on 2099-12-31 (notAfter "
	                                "2099-12-31 23:59:59 UTC)\n",
	                                at("unsigned.pdf"))),
	               "and says why");
	free(wanted);
	ok(access(at("late.pdf"), F_OK) != 0, "and writes nothing");
	is_int(-1, doc_sign_file(s, at("signed.pdf"), at("twice.pdf"), -1, rect,
	                         as_of), "signing a signed file fails");
	expect_message((wanted = format("mandate: %s: error: cannot sign: the "
	                                "file already has a form (/AcroForm): it"
	                                " may be signed already\n",
	                                at("signed.pdf"))), "and says why");
	free(wanted);
	is_int(-1, doc_sign_file(s, at("unsigned.pdf"), at("p3.pdf"), 2, rect,
	                         as_of), "a page that does not exist");
	expect_message((wanted = format("mandate: %s: error: cannot sign: no page"
	                                " 3 to sign on (the document has 2)\n",
	                                at("unsigned.pdf"))), "and says why");
	free(wanted);
	{
		const double bad[4] = { 0, 0, INFINITY, 10 };
		is_int(-1, doc_sign_file(s, at("unsigned.pdf"), at("inf.pdf"), 0,
		                         bad, as_of), "an infinite rectangle");
		expect_message((wanted = format("mandate: %s: error: cannot sign: "
		                                "the signature rectangle is not a "
		                                "finite box\n", at("unsigned.pdf"))),
		               "and says why");
		free(wanted);
	}
	is_int(-1, doc_sign_file(s, at("ca.pem"), at("nopdf.pdf"), -1, rect,
	                         as_of), "a file that is not a PDF");
	expect_message((wanted = format("mandate: %s: error: cannot sign: not a "
	                                "PDF file (no %%PDF-1.x header)\n",
	                                at("ca.pem"))), "and says why");
	free(wanted);
	is_int(-1, doc_sign_file(s, at("unsigned.pdf"), at("nodir/x.pdf"), -1,
	                         rect, as_of), "an output directory missing");
	expect_message((wanted = format("mandate: %s: error: cannot create: No "
	                                "such file or directory\n",
	                                at("nodir/x.pdf"))), "and says why");
	free(wanted);
	is_int(-1, doc_sign_file(s, at("absent.pdf"), at("x.pdf"), -1, rect,
	                         as_of), "a missing input");
	expect_message((wanted = format("mandate: %s: error: cannot open: No such"
	                                " file or directory\n", at("absent.pdf"))),
	               "and says why");
	free(wanted);
}

/* Truncated and corrupted inputs fail cleanly (run under ASan). */
static void check_damage(const signer *s, const unsigned char *pdf,
                         size_t length)
{
	doc_sign_place place = { -1, rect, as_of };
	unsigned char *copy = malloc(length), *out;
	size_t cut, out_length, accepted = 0, i, eof;
	unsigned seed = 12345;
	bool all_refused = true;

	eof = (size_t)((const unsigned char *)memmem(pdf, length, "%%EOF", 5)
	               - pdf) + 5;
	for (cut = 0; cut < eof; cut += cut < eof - 400 ? 7 : 1) {
		if (doc_sign_buffer(s, pdf, cut, "cut", &place, &out,
		                    &out_length) == 0) {
			all_refused = false;
			diag("accepted a file cut at %zu", cut);
			free(out);
		}
	}
	free(take_messages());
	ok(all_refused, "every truncation before %%%%EOF is refused");
	for (i = 0; i < 400; i++) {
		size_t k, flips = 1 + i % 4;
		memcpy(copy, pdf, length);
		for (k = 0; k < flips; k++) {
			seed = seed * 1103515245u + 12345u;
			copy[(seed >> 8) % length] = (unsigned char)(seed >> 3);
		}
		if (doc_sign_buffer(s, copy, length, "fuzz", &place, &out,
		                    &out_length) == 0) {
			accepted++;
			free(out);
		}
	}
	free(take_messages());
	ok(true, "400 corrupted inputs: no crash (%zu still signable)",
	   accepted);
	free(copy);
}

int main(void)
{
	unsigned char *unsigned_pdf;
	size_t unsigned_length;
	signer *s;

	if (system("openssl version >/dev/null 2>&1") != 0)
		skip_all("the openssl command is needed to make test keys");
	plan(77);
	umask(077);
	as_of = date_from_ymd(2026, 11, 26);
	dir = test_tmp_path("doc_sign");
	config = test_data_path("sign/openssl.cnf");
	if (config[0] != '/') {
		char cwd[4096], *absolute;
		if (getcwd(cwd, sizeof cwd) == NULL)
			bail("getcwd: %s", strerror(errno));
		absolute = format("%s/%s", cwd, config);
		free(config);
		config = absolute;
	}
	{
		char *command = format("rm -rf '%s' && mkdir -m 700 '%s'", dir, dir);
		if (system(command) != 0)
			bail("cannot make %s", dir);
		free(command);
	}
	setenv("SIGN_DIR", dir, 1);
	setenv("CNF", config, 1);
	make_pki();
	messages = tmpfile();
	if (messages == NULL)
		bail("tmpfile: %s", strerror(errno));
	diag_set_stream(messages);

	ok(make_pdf(at("unsigned.pdf"), false), "libharu writes a two-page PDF");
	unsigned_pdf = slurp(at("unsigned.pdf"), &unsigned_length);
	s = signer_load_pem(at("leaf.key"), at("leaf.pem"), at("ca.pem"), as_of);
	if (s == NULL)
		bail("cannot load the test signer: %s", take_messages());
	ok(true, "a PEM key, certificate and chain load");
	is_string("Mandate Test Signer", signer_name(s), "the name is the CN");
	ok(signer_deterministic(s), "an RSA key is deterministic");
	ok(signer_reserve(s) >= 3000 && signer_reserve(s) <= 8000,
	   "reserves twice the CMS size (%zu bytes)", signer_reserve(s));
	is_int(0, doc_sign_file(s, at("unsigned.pdf"), at("signed.pdf"), -1,
	                        rect, as_of), "signs the last page");
	check_signed(unsigned_pdf, unsigned_length);
	check_variants(s, unsigned_pdf, unsigned_length);
	check_other_signers();
	check_refusals(s);
	check_damage(s, unsigned_pdf, unsigned_length);

	signer_free(s);
	free(unsigned_pdf);
	free(config);
	free(dir);
	fclose(messages);
	return tap_done();
}
