/* The signing options every document-writing command shares:
 *   --key PEM --cert PEM [--chain PEM] | --pkcs12 FILE [--pass-env VAR] */
#ifndef MANDATE_SIGNING_OPTIONS_H
#define MANDATE_SIGNING_OPTIONS_H

#include <stdbool.h>

#include "doc_sign.h"

typedef struct signing_options {
	const char *key, *cert, *chain, *pkcs12, *pass_env;
} signing_options;

/* getopt_long values for the options (use them in the option table). */
enum {
	OPT_KEY = 0x100, OPT_CERT, OPT_CHAIN, OPT_PKCS12, OPT_PASS_ENV
};
#define SIGNING_LONG_OPTIONS                                             \
	{ "key", required_argument, NULL, OPT_KEY },                     \
	{ "cert", required_argument, NULL, OPT_CERT },                   \
	{ "chain", required_argument, NULL, OPT_CHAIN },                 \
	{ "pkcs12", required_argument, NULL, OPT_PKCS12 },               \
	{ "pass-env", required_argument, NULL, OPT_PASS_ENV }

/* Takes opt/arg when it is a signing option; returns whether it was. */
bool signing_option(signing_options *so, int opt, const char *arg);
/* Checks the combination (a usage error is reported: returns false). */
bool signing_options_complete(const signing_options *so);
/* Loads and checks the key and certificate at as_of; NULL after
 * reporting. */
signer *signing_options_load(const signing_options *so, date_t as_of);

#endif
