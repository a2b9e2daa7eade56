/* Signing options; see signing_options.h. */
#include "signing_options.h"

#include "util/diag.h"

bool signing_option(signing_options *so, int opt, const char *arg)
{
	switch (opt) {
	case OPT_KEY: so->key = arg; return true;
	case OPT_CERT: so->cert = arg; return true;
	case OPT_CHAIN: so->chain = arg; return true;
	case OPT_PKCS12: so->pkcs12 = arg; return true;
	case OPT_PASS_ENV: so->pass_env = arg; return true;
	default: return false;
	}
}

bool signing_options_complete(const signing_options *so)
{
	bool pem = so->key != NULL || so->cert != NULL || so->chain != NULL;

	if (pem && so->pkcs12 != NULL)
		return diag_error(NULL, 0, "give either --key/--cert or "
		                  "--pkcs12, not both"), false;
	if (so->pkcs12 == NULL && (so->key == NULL || so->cert == NULL))
		return diag_error(NULL, 0, "documents are signed: give --key "
		                  "and --cert, or --pkcs12"), false;
	if (so->pass_env != NULL && so->pkcs12 == NULL)
		return diag_error(NULL, 0, "--pass-env goes with --pkcs12"),
		       false;
	return true;
}

signer *signing_options_load(const signing_options *so, date_t as_of)
{
	if (so->pkcs12 != NULL)
		return signer_load_pkcs12(so->pkcs12, so->pass_env, as_of);
	return signer_load_pem(so->key, so->cert, so->chain, as_of);
}
