/* Signing the documents (SPEC §4): an incremental update appended to the
 * unsigned PDF that libharu wrote, carrying a signature field and a CMS
 * detached signature (/SubFilter /ETSI.CAdES.detached, SHA-256).
 *
 * Ownership: signer_load_*() return a signer owned by the caller, freed with
 * signer_free(); after loading it is read-only, so one signer may be shared
 * by threads or inherited across fork().  Strings returned by signer_*()
 * accessors belong to the signer.  doc_sign_buffer() returns a new buffer
 * owned by the caller (free()).
 *
 * Every function reports its own errors through diag_error() (naming the key,
 * certificate or PDF file) and returns NULL or -1.
 *
 * Decisions:
 *  - Validity: the certificate must be valid on the as-of day and on every
 *    signing date, compared by whole UTC days (notBefore's day <= day <=
 *    notAfter's day).  An expired or not-yet-valid certificate is refused
 *    with a message naming the notAfter (notBefore) date: these documents
 *    may go to court.  The chain is not verified (that is the reader's job
 *    against its trust store).
 *  - Keys: RSA (PKCS#1 v1.5) and EC (ECDSA) keys are accepted; others
 *    (RSA-PSS, Ed25519, DSA) are refused.  RSA signatures are deterministic,
 *    so the same input, key, certificate and date give byte-identical output.
 *    OpenSSL 3.0's ECDSA uses a random nonce: with an EC key every run gives
 *    a different (equally valid) signature; signer_deterministic() tells.
 *  - Time: no wall clock.  /M is D:YYYYMMDD000000Z of the signing date;
 *    the CMS carries no signingTime attribute (PAdES baseline), only
 *    content-type, message-digest and signingCertificateV2.
 *  - /ID: both elements are the first 16 bytes of SHA-256 of the unsigned
 *    file (if the input already has an /ID its first element is kept).
 *  - The catalog gains /AcroForm << /Fields [widget] /SigFlags 3 >> and, when
 *    absent, /Version /1.7 and the /ESIC developer extension (level 2) that
 *    PAdES asks of a 1.7 file.  An input that already has an /AcroForm (a
 *    form, or already signed) is refused, as are encrypted files and
 *    cross-reference streams: the input is expected to be libharu's.
 *  - The widget is the signature field /T (Signature1), /F 132 (print,
 *    locked), with an empty appearance: the visible text is drawn by the
 *    layout stage and the widget only covers it. */
#ifndef MANDATE_DOC_SIGN_H
#define MANDATE_DOC_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "util/date.h"

typedef struct signer signer;

/* Loads a PEM private key (unencrypted), a PEM certificate (further
 * certificates after the first are taken as its chain) and an optional PEM
 * chain file (chain_path may be NULL), and checks them at as_of: the key file
 * must not be accessible by group or others, the certificate must match the
 * key and be valid on as_of, and a trial signature must succeed.  Returns
 * NULL after reporting. */
signer *signer_load_pem(const char *key_path, const char *cert_path,
                        const char *chain_path, date_t as_of);

/* The same from a PKCS#12 file (key, certificate, optional CA chain).  The
 * password is read from the environment variable named pass_env (never from
 * the command line); pass_env NULL means the empty password.  The file must
 * not be accessible by group or others. */
signer *signer_load_pkcs12(const char *p12_path, const char *pass_env,
                           date_t as_of);

void signer_free(signer *s);

/* The certificate subject's CN (UTF-8), else the whole subject
 * (RFC 2253 form): for the visible signature block. */
const char *signer_name(const signer *s);

/* False when signatures by this key differ from run to run (ECDSA). */
bool signer_deterministic(const signer *s);

/* Bytes reserved for the CMS in /Contents (twice the trial signature's
 * size). */
size_t signer_reserve(const signer *s);

/* Where and when to sign.  rect: the widget in PDF user space
 * {x1, y1, x2, y2} on page page_index (0-based; -1 = the last page); NULL
 * makes an invisible signature ([0 0 0 0]).  signing_date: written to /M and
 * checked against the certificate's validity. */
typedef struct doc_sign_place {
	int page_index;
	const double *rect;        /* 4 numbers, or NULL */
	date_t signing_date;
} doc_sign_place;

/* Signs the unsigned PDF in pdf[0..length) (HPDF_SaveToStream output).
 * `name` is used in messages (the file it will be written to).  On success
 * *out (owned by the caller) holds the input followed by the incremental
 * update, the signature has been verified in-process, and 0 is returned. */
int doc_sign_buffer(const signer *s, const unsigned char *pdf, size_t length,
                    const char *name, const doc_sign_place *place,
                    unsigned char **out, size_t *out_length);

/* Reads in_path, signs it and writes out_path through a temporary file in
 * the same directory (fsync, rename), so out_path is whole or untouched.
 * in_path and out_path may be the same file.  rect as in doc_sign_place. */
int doc_sign_file(const signer *s, const char *in_path, const char *out_path,
                  int page_index, const double rect[4], date_t signing_date);

#endif
