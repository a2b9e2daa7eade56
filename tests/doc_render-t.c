/* doc_template, doc_layout, doc_render: templates that fail to load say
 * exactly where; the sample ledger's documents and hand-built hard cases
 * (80 resource lines, a long description, an unbreakable word, a secret
 * order) render into PDFs that the tools users trust accept: qpdf --check,
 * pdffonts (DejaVu embedded, subset, Unicode), pdftotext (the text, the
 * footers, the money as written), pdftotext -bbox (every word inside the
 * margins); and the same request gives the same bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "doc_layout.h"
#include "doc_plan.h"
#include "doc_render.h"
#include "sample_ledger.h"
#include "tap.h"
#include "util/diag.h"
#include "util/xalloc.h"

#define SIGNER "Анна Петрова"

static FILE *sink;                 /* diagnostics go here */
static bool tools;                 /* qpdf, pdffonts, pdftotext, pdftoppm */

/* ---- helpers ------------------------------------------------------------- */

static void capture_begin(void)
{
	fflush(sink);
	rewind(sink);
	if (ftruncate(fileno(sink), 0) != 0)
		bail("cannot truncate the diagnostics file");
}

static char *capture_end(void)
{
	size_t length = 0, got;
	char *text = xmalloc(65536);

	fflush(sink);
	rewind(sink);
	while ((got = fread(text + length, 1, 65535 - length, sink)) > 0)
		length += got;
	text[length] = '\0';
	return text;
}

/* Runs a shell command; its standard output (owned by the caller), and its
 * exit status in *status. */
static char *run(const char *command, int *status)
{
	FILE *pipe = popen(command, "r");
	size_t length = 0, capacity = 0, got;
	char *out = NULL;
	int rc;

	if (pipe == NULL)
		bail("cannot run %s", command);
	do {
		out = xgrow(out, &capacity, length + 65537, 1);
		got = fread(out + length, 1, capacity - length - 1, pipe);
		length += got;
	} while (got > 0);
	out[length] = '\0';
	rc = pclose(pipe);
	if (status != NULL)
		*status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
	return out;
}

static bool have(const char *tool)
{
	char *command = xasprintf("command -v %s >/dev/null 2>&1", tool);
	int rc = system(command);
	free(command);
	return rc == 0;
}

static void write_file(const char *path, const unsigned char *data,
                       size_t length)
{
	FILE *file = fopen(path, "wb");

	if (file == NULL || fwrite(data, 1, length, file) != length ||
	    fclose(file) != 0)
		bail("cannot write %s", path);
}

static date_t day(const char *text)
{
	date_t d;

	if (!date_parse(text, &d))
		bail("bad date %s", text);
	return d;
}

static size_t count_of(const char *haystack, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(haystack, needle); p != NULL;
	     p = strstr(p + strlen(needle), needle))
		n++;
	return n;
}

/* The text of each page (pdftotext, pages split at form feeds). */
struct pages {
	char *all;
	char **page;
	size_t count;
};

static void pages_read(const char *pdf, struct pages *p)
{
	char *command = xasprintf("pdftotext -enc UTF-8 '%s' - 2>/dev/null", pdf);
	char *s;

	memset(p, 0, sizeof *p);
	p->all = run(command, NULL);
	free(command);
	s = xstrdup(p->all);
	for (char *start = s, *ff; start != NULL; start = ff) {
		ff = strchr(start, '\f');
		if (ff != NULL)
			*ff++ = '\0';
		if (ff == NULL && *start == '\0')
			break;
		p->page = xrealloc(p->page, (p->count + 1) * sizeof *p->page);
		p->page[p->count++] = xstrdup(start);
	}
	free(s);
}

static void pages_free(struct pages *p)
{
	for (size_t i = 0; i < p->count; i++)
		free(p->page[i]);
	free(p->page);
	free(p->all);
}

/* Every word's box (pdftotext -bbox) inside the margins; counts words and
 * reports the first one outside. */
static bool inside_margins(const char *pdf, size_t *words)
{
	char *command = xasprintf("pdftotext -bbox '%s' - 2>/dev/null", pdf);
	char *out = run(command, NULL);
	double width = 0, height = 0;
	bool good = true;

	*words = 0;
	for (char *line = strtok(out, "\n"); line != NULL;
	     line = strtok(NULL, "\n")) {
		double x0, y0, x1, y1;
		char *at;
		if ((at = strstr(line, "<page width=")) != NULL) {
			if (sscanf(at, "<page width=\"%lf\" height=\"%lf\"",
			           &width, &height) != 2)
				good = false;
			continue;
		}
		if ((at = strstr(line, "<word xMin=")) == NULL)
			continue;
		if (sscanf(at, "<word xMin=\"%lf\" yMin=\"%lf\" xMax=\"%lf\" "
		           "yMax=\"%lf\"", &x0, &y0, &x1, &y1) != 4) {
			good = false;
			continue;
		}
		++*words;
		if (good && (x0 < LAYOUT_MARGIN_LEFT - 0.5 ||
		             x1 > width - LAYOUT_MARGIN_RIGHT + 0.5 ||
		             y0 < LAYOUT_MARGIN_TOP - 0.5 ||
		             y1 > height - LAYOUT_MARGIN_BOTTOM + 0.5)) {
			diag("outside the margins: %s", at);
			good = false;
		}
	}
	free(out);
	free(command);
	return good && *words > 0;
}

/* The box of the first word equal to `word` on page `page` (0-based), in
 * top-down coordinates. */
static bool word_box(const char *pdf, int page, const char *word,
                     double box[4])
{
	char *command = xasprintf("pdftotext -bbox '%s' - 2>/dev/null", pdf);
	char *out = run(command, NULL);
	char *want = xasprintf(">%s</word>", word);
	int current = -1;
	bool found = false;

	for (char *line = strtok(out, "\n"); line != NULL && !found;
	     line = strtok(NULL, "\n")) {
		if (strstr(line, "<page width=") != NULL)
			current++;
		else if (current == page && strstr(line, want) != NULL)
			found = sscanf(strstr(line, "<word"), "<word xMin=\"%lf\" "
			               "yMin=\"%lf\" xMax=\"%lf\" yMax=\"%lf\"",
			               &box[0], &box[1], &box[2], &box[3]) == 4;
	}
	free(want);
	free(out);
	free(command);
	return found;
}

static bool qpdf_clean(const char *pdf)
{
	char *command = xasprintf("qpdf --check '%s' 2>&1", pdf);
	int status;
	char *out = run(command, &status);
	bool good = status == 0 &&
	            strstr(out, "No syntax or stream encoding errors") != NULL;

	if (!good)
		diag("%s", out);
	free(out);
	free(command);
	return good;
}

/* pdffonts: exactly DejaVu Sans and DejaVu Sans Bold, each embedded,
 * subset and with a Unicode map. */
static bool fonts_embedded(const char *pdf)
{
	char *command = xasprintf("pdffonts '%s' 2>/dev/null", pdf);
	char *out = run(command, NULL);
	size_t fonts = 0, good = 0;

	for (char *line = strtok(out, "\n"); line != NULL;
	     line = strtok(NULL, "\n")) {
		char name[256], type1[64], type2[64], encoding[64], emb[8], sub[8],
		     uni[8];
		if (strncmp(line, "name", 4) == 0 || line[0] == '-')
			continue;
		fonts++;
		if (sscanf(line, "%255s %63s %63s %63s %7s %7s %7s", name, type1,
		           type2, encoding, emb, sub, uni) == 7 &&
		    strstr(name, "+DejaVuSans") != NULL &&
		    strcmp(emb, "yes") == 0 && strcmp(sub, "yes") == 0 &&
		    strcmp(uni, "yes") == 0)
			good++;
	}
	if (fonts != 2 || good != 2)
		diag("%s", out);
	free(out);
	free(command);
	return fonts == 2 && good == 2;
}

/* "Page i of n" and the order's id and version on every page. */
static bool footers(const struct pages *p, const char *id, int version,
                    language lang)
{
	for (size_t i = 0; i < p->count; i++) {
		char *page_no = lang == LANG_RU ?
			xasprintf("Страница %zu из %zu", i + 1, p->count) :
			xasprintf("Page %zu of %zu", i + 1, p->count);
		char *ver = lang == LANG_RU ? xasprintf("редакция %d", version)
		                            : xasprintf("version %d", version);
		bool good = strstr(p->page[i], page_no) != NULL &&
		            strstr(p->page[i], id) != NULL &&
		            strstr(p->page[i], ver) != NULL;
		if (!good)
			diag("page %zu lacks \"%s\", \"%s\" or \"%s\"", i + 1,
			     page_no, id, ver);
		free(page_no);
		free(ver);
		if (!good)
			return false;
	}
	return p->count > 0;
}

/* ---- template loading ---------------------------------------------------- */

static const char *const bad_templates[] = {
	"bad-placeholder", "bad-placeholder-multiline", "bad-condition",
	"bad-guard", "bad-kind", "bad-footer", "bad-brace",
	"bad-condition-kind",
};
#define BAD_TEMPLATES (sizeof bad_templates / sizeof bad_templates[0])

/* Messages name files relative to the source tree, as the golden files
 * do. */
static char *relative_message(const char *message)
{
	char *prefix = test_src_path("");
	char *out = xmalloc(strlen(message) + 1), *w = out;
	size_t n = strlen(prefix);

	for (const char *s = message; *s != '\0';) {
		if (strncmp(s, prefix, n) == 0) {
			s += n;
			continue;
		}
		*w++ = *s++;
	}
	*w = '\0';
	free(prefix);
	return out;
}

static void test_loading(void)
{
	for (size_t i = 0; i < BAD_TEMPLATES; i++) {
		char *name = xasprintf("templates/%s.xml", bad_templates[i]);
		char *err = xasprintf("templates/%s.err", bad_templates[i]);
		char *path = test_data_path(name), *err_path = test_data_path(err);
		char *expected = test_read_file(err_path, NULL);
		doc_template *t;
		char *seen, *relative;

		capture_begin();
		t = doc_template_load(path, NULL);
		seen = capture_end();
		relative = relative_message(seen);
		is_string(expected != NULL ? expected : "(no .err file)",
		          t == NULL ? relative : "(loaded)", "%s: refused with "
		          "its message", bad_templates[i]);
		doc_template_free(t);
		free(relative);
		free(seen);
		free(expected);
		free(err_path);
		free(path);
		free(err);
		free(name);
	}
	{
		char *path = test_data_path("templates/bad-schema.xml");
		doc_template *t;
		char *seen, *relative;

		capture_begin();
		t = doc_template_load(path, NULL);
		seen = capture_end();
		relative = relative_message(seen);
		ok(t == NULL && strncmp(relative, "mandate: tests/data/templates/"
		                        "bad-schema.xml:16: error: Element '",
		                        60) == 0 &&
		   strstr(relative, "paragraph") != NULL,
		   "an element the schema does not know: file:line");
		if (t != NULL || strstr(relative, "paragraph") == NULL)
			diag("%s", relative);
		doc_template_free(t);
		free(relative);
		free(seen);
		free(path);
	}
}

/* ---- hand-built orders --------------------------------------------------- */

static char *repeat(const char *text, size_t times)
{
	size_t n = strlen(text);
	char *out = xmalloc(n * times + 1);

	for (size_t i = 0; i < times; i++)
		memcpy(out + i * n, text, n);
	out[n * times] = '\0';
	return out;
}

static char **strings(size_t count, const char *const *items)
{
	char **out = xcalloc(count, sizeof *out);

	for (size_t i = 0; i < count; i++)
		out[i] = xstrdup(items[i]);
	return out;
}

/* A secret order with 80 resource lines, a description of several pages'
 * worth and a word too long for any line. */
static order_state *stress_order(language lang, const char *id)
{
	static const char *const ru_deliverables[] = {
		"Проектная документация стадии П", "Сметная документация",
		"Заключение экспертизы",
	};
	static const char *const en_deliverables[] = {
		"Stage P design documentation", "Cost estimate",
		"Expert review report",
	};
	static const char *const ru_clauses[] = {
		"Исполнитель привлекает субподрядчиков только с письменного "
		"согласия Заказчика.",
		"Все результаты работ передаются Заказчику в электронном виде.",
	};
	static const char *const en_clauses[] = {
		"The Contractor may engage subcontractors only with the Client’s "
		"written consent.",
		"All deliverables are handed over in electronic form.",
	};
	bool ru = lang == LANG_RU;
	order_state *o = xcalloc(1, sizeof *o);
	order_fields *f = &o->fields;
	char *sentence, *word, *description;

	snprintf(o->id, sizeof o->id, "%s", id);
	o->stage = STAGE_FIXATION;
	o->version = 3;
	o->received = day("2026-11-02");
	o->fixed_on = day("2026-11-10");
	o->completed_on = o->closed_on = o->cancelled_on = DATE_NONE;
	o->progress = -1;
	o->kind = KIND_CONSTRUCTION;
	o->priority = PRIORITY_HIGH;
	snprintf(o->client.id, sizeof o->client.id, "NORTHWIND");
	o->client.lang = lang;
	o->client.name = xstrdup(ru ? "АО «Северный ветер — Проектные "
	                              "решения»" : "Northwind Design Solutions plc");
	o->client.tax_id = xstrdup("7701234567");
	o->client.address = xstrdup(ru ? "119019, г. Москва, ул. Новый Арбат, "
	                                 "д. 21, этаж 14" :
	                            "1 Canada Square, London E14 5AB, UK");
	f->present = FIELD_ALL;
	f->title = xstrdup(ru ? "Проектирование реконструкции "
	                        "административного здания" :
	                   "Design of the refurbishment of an office building");
	sentence = xstrdup(ru ?
		"Исполнитель выполняет обследование конструкций, разрабатывает "
		"архитектурные, конструктивные и инженерные решения, согласует их "
		"с Заказчиком и сопровождает экспертизу проектной документации. " :
		"The Contractor surveys the structure, develops the architectural, "
		"structural and building services design, agrees it with the "
		"Client and supports the expert review of the documentation. ");
	word = repeat(ru ? "Ж" : "W", 160);
	description = repeat(sentence, 40);
	f->description = xasprintf("%s%s %s", description, word, sentence);
	free(description);
	free(word);
	free(sentence);
	snprintf(f->executor_id, sizeof f->executor_id, "EMP-001");
	f->executor_name = xstrdup(ru ? "Игорь Смирнов" : "Igor Smirnov");
	f->start = day("2026-11-11");
	f->due = day("2027-02-26");
	f->price = 15000000;       /* 150 000.00 */
	memcpy(f->currency, "RUB", 4);
	f->resource_count = 80;
	f->resources = xcalloc(80, sizeof *f->resources);
	for (size_t i = 0; i < 80; i++) {
		resource *r = &f->resources[i];
		r->kind = (cost_kind)(i % 3);
		r->name = ru ? xasprintf("Позиция %02zu: %s", i + 1,
		                         i % 7 == 0 ? "обследование несущих "
		                         "конструкций с отбором проб и "
		                         "лабораторными испытаниями" :
		                         "проектные работы")
		             : xasprintf("Line %02zu: %s", i + 1,
		                         i % 7 == 0 ? "survey of the load-bearing "
		                         "structure with sampling and laboratory "
		                         "tests" : "design work");
		r->unit = xstrdup(ru ? "ч" : "h");
		r->quantity = 1500 + (int64_t)i * 250;     /* 1.5, 1.75, ... */
		r->unit_cost = 123456 + (int64_t)i * 1000;
	}
	f->deliverable_count = 3;
	f->deliverables = strings(3, ru ? ru_deliverables : en_deliverables);
	f->acceptance = xstrdup(ru ? "Положительное заключение экспертизы." :
	                        "A positive expert review report.");
	f->terms.has_penalty = true;
	f->terms.penalty_rate_per_day = 1000;       /* 0.1 % */
	f->terms.penalty_cap = 100000;              /* 10 % */
	f->terms.has_confidentiality = true;
	f->terms.confidentiality = CONF_SECRET;
	f->terms.clause_count = 2;
	f->terms.clauses = strings(2, ru ? ru_clauses : en_clauses);
	return o;
}

/* A short order in the given currency. */
static order_state *small_order(language lang, const char *id,
                                const char *code, int64_t price)
{
	order_state *o = xcalloc(1, sizeof *o);
	order_fields *f = &o->fields;

	snprintf(o->id, sizeof o->id, "%s", id);
	o->stage = STAGE_EXECUTION;
	o->version = 1;
	o->received = day("2026-11-02");
	o->fixed_on = day("2026-11-05");
	o->completed_on = o->closed_on = o->cancelled_on = DATE_NONE;
	o->progress = -1;
	o->kind = KIND_LEGAL;
	snprintf(o->client.id, sizeof o->client.id, "C1");
	o->client.lang = lang;
	o->client.name = xstrdup(lang == LANG_RU ? "ООО «Ромашка»" :
	                         "Daisy Ltd");
	f->present = FIELD_TITLE | FIELD_DESCRIPTION | FIELD_EXECUTOR |
	             FIELD_DUE | FIELD_PRICE;
	f->title = xstrdup(lang == LANG_RU ? "Правовой аудит" : "Legal audit");
	f->description = xstrdup(lang == LANG_RU ? "Аудит договоров." :
	                         "A review of contracts.");
	f->executor_name = xstrdup(lang == LANG_RU ? "Ольга Иванова" :
	                           "Olga Ivanova");
	f->start = DATE_NONE;
	f->due = day("2026-11-20");
	f->price = price;
	snprintf(f->currency, sizeof f->currency, "%s", code);
	return o;
}

/* ---- rendering ----------------------------------------------------------- */

struct rendered {
	char *path;
	unsigned char *pdf;
	size_t length;
	int sig_page;
	double rect[4];
};

static bool render_to(const doc_templates *t, const doc_request *req,
                      const char *name, struct rendered *out)
{
	memset(out, 0, sizeof *out);
	out->path = test_tmp_path(name);
	if (doc_render(t, req, &out->pdf, &out->length, &out->sig_page,
	               out->rect) != 0)
		return false;
	write_file(out->path, out->pdf, out->length);
	return true;
}

static void rendered_free(struct rendered *r)
{
	free(r->path);
	free(r->pdf);
}

/* The seal's first word lies inside the reported signature rectangle. */
static bool seal_in_rect(const struct rendered *r, language lang)
{
	double box[4];
	double top = LAYOUT_PAGE_HEIGHT - r->rect[3];
	double bottom = LAYOUT_PAGE_HEIGHT - r->rect[1];

	if (!word_box(r->path, r->sig_page, lang == LANG_RU ? "Подписант:"
	                                                    : "Signed", box))
		return false;
	return box[0] >= r->rect[0] - 0.5 && box[2] <= r->rect[2] + 0.5 &&
	       box[1] >= top - 0.5 && box[3] <= bottom + 0.5;
}

/* Checks one sample document: 6 tests. */
static void check_sample(const doc_job *job, const struct rendered *r,
                         const char *title, const char *money)
{
	language lang = job->order->client.lang;
	const char *what = doc_kind_name(job->kind);
	struct pages p;
	size_t words;
	bool inside;

	if (!tools) {
		for (int i = 0; i < 6; i++)
			skip("qpdf or poppler-utils not installed");
		return;
	}
	pages_read(r->path, &p);
	ok(qpdf_clean(r->path), "%s %s: qpdf --check", what,
	   language_name(lang));
	ok(fonts_embedded(r->path), "%s %s: DejaVu fonts embedded, subset, "
	   "Unicode", what, language_name(lang));
	ok(footers(&p, job->order->id, job->order->version, lang),
	   "%s %s: footers on all %zu pages", what, language_name(lang),
	   p.count);
	ok(strstr(p.all, title) != NULL && strstr(p.all, money) != NULL,
	   "%s %s: \"%s\" and \"%s\" come back as text", what,
	   language_name(lang), title, money);
	if (strstr(p.all, money) == NULL)
		diag("%s", p.all);
	inside = inside_margins(r->path, &words);
	ok(inside, "%s %s: all %zu words inside the margins", what,
	   language_name(lang), words);
	ok(r->sig_page >= 0 && (size_t)r->sig_page < p.count &&
	   seal_in_rect(r, lang), "%s %s: the signature rectangle (page %d) "
	   "covers the seal", what, language_name(lang), r->sig_page + 1);
	pages_free(&p);
}

static const doc_job *find_job(const doc_plan *plan, doc_kind kind,
                               const char *order)
{
	for (size_t i = 0; i < plan->count; i++)
		if (plan->jobs[i].kind == kind &&
		    strcmp(plan->jobs[i].order->id, order) == 0)
			return &plan->jobs[i];
	bail("no %s for %s in the sample plan", doc_kind_name(kind), order);
}

static double elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static doc_request job_request(const doc_job *job)
{
	doc_request req = {
		.kind = job->kind, .order = job->order, .before = job->before,
		.effect = &job->effect, .date = job->date,
		.payments = job->payments, .signer_name = SIGNER,
	};
	return req;
}

static void test_samples(const doc_templates *t)
{
	static const struct {
		doc_kind kind;
		const char *order, *title, *money;
	} picks[] = {
		{ DOC_AGREEMENT, "FIN-0101", "ДОГОВОР № FIN-0101",
		  "195 000,00 ₽" },
		{ DOC_AGREEMENT, "CON-0103", "SERVICES AGREEMENT",
		  "EUR 48,000.00" },
		{ DOC_AMENDMENT, "LEG-0102", "ДОПОЛНИТЕЛЬНОЕ СОГЛАШЕНИЕ",
		  "390 000,00 ₽" },
		{ DOC_AMENDMENT, "FIN-0107", "AMENDMENT", "USD 142,000.00" },
		{ DOC_ACT, "FIN-0101", "АКТ ВЫПОЛНЕННЫХ РАБОТ", "97 500,00 ₽" },
		{ DOC_ACT, "CON-0103", "COMPLETION ACT", "EUR 960.00" },
	};
	char *ledger_path = test_tmp_path("doc_render-t.ledger");
	order_book *book = order_book_new(true);
	doc_plan plan;
	replay_target target = { .book = book, .on_event = doc_plan_on_event,
	                         .ctx = &plan };
	ledger *l;
	size_t rendered = 0, bytes = 0;
	struct timespec t0, t1;

	unlink(ledger_path);
	book_sample_days(ledger_path);
	doc_plan_init(&plan, NULL, 0);
	if (ledger_load(ledger_path, LEDGER_READ, &target, &l) != 0)
		bail("cannot replay the sample ledger");
	ledger_close(l);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < plan.count; i++) {
		doc_request req = job_request(&plan.jobs[i]);
		unsigned char *pdf;
		size_t length;
		int page;
		double rect[4];
		if (doc_render(t, &req, &pdf, &length, &page, rect) == 0) {
			rendered++;
			bytes += length;
			free(pdf);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	is_int((long long)plan.count, (long long)rendered,
	       "every document the sample ledger calls for renders (%zu)",
	       plan.count);
	diag("sample documents: %.1f ms and %zu bytes per document",
	     elapsed_ms(&t0, &t1) / (double)(plan.count ? plan.count : 1),
	     bytes / (plan.count ? plan.count : 1));
	for (size_t i = 0; i < sizeof picks / sizeof picks[0]; i++) {
		const doc_job *job = find_job(&plan, picks[i].kind,
		                              picks[i].order);
		doc_request req = job_request(job);
		char *name = xasprintf("doc_render-t-%s-%s.pdf",
		                       doc_kind_name(job->kind),
		                       language_name(job->order->client.lang));
		struct rendered r;

		if (!render_to(t, &req, name, &r))
			bail("cannot render %s", name);
		check_sample(job, &r, picks[i].title, picks[i].money);
		rendered_free(&r);
		free(name);
	}
	doc_plan_free(&plan);
	order_book_free(book);
	free(ledger_path);
}

/* ---- the hard case ------------------------------------------------------- */

/* Pages that show resource lines show the table's header, and the lines
 * come in order. */
static bool header_on_table_pages(const struct pages *p, language lang,
                                  size_t *table_pages)
{
	const char *header = lang == LANG_RU ? "Наименование" : "Item";
	const char *line = lang == LANG_RU ? "Позиция " : "Line ";

	*table_pages = 0;
	for (size_t i = 0; i < p->count; i++) {
		bool rows = strstr(p->page[i], line) != NULL;
		bool head = count_of(p->page[i], header) == 1;
		if (rows != head) {
			diag("page %zu: rows %d, header %d", i + 1, rows, head);
			return false;
		}
		*table_pages += rows;
	}
	return true;
}

static bool lines_in_order(const struct pages *p, language lang)
{
	const char *at = p->all;

	for (int i = 1; i <= 80; i++) {
		char *name = xasprintf(lang == LANG_RU ? "Позиция %02d:"
		                                       : "Line %02d:", i);
		at = strstr(at, name);
		free(name);
		if (at == NULL)
			return false;
	}
	return true;
}

/* Renders req in a child process and compares with what the parent
 * rendered. */
static bool same_in_child(const doc_templates *t, const doc_request *req,
                          const struct rendered *r)
{
	char *path = test_tmp_path("doc_render-t-child.pdf");
	pid_t child;
	int status;
	bool same = false;

	fflush(stdout);
	child = fork();
	if (child < 0)
		bail("cannot fork");
	if (child == 0) {
		unsigned char *pdf;
		size_t length;
		int page;
		double rect[4];
		if (doc_render(t, req, &pdf, &length, &page, rect) != 0)
			_exit(1);
		write_file(path, pdf, length);
		free(pdf);          /* so valgrind's leak check passes here */
		_exit(0);
	}
	if (waitpid(child, &status, 0) == child && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0) {
		size_t length;
		char *data = test_read_file(path, &length);
		same = data != NULL && length == r->length &&
		       memcmp(data, r->pdf, length) == 0;
		free(data);
	}
	free(path);
	return same;
}

/* 10 tests per language. */
static void test_stress(const doc_templates *t, language lang)
{
	const char *id = lang == LANG_RU ? "STRESS-RU" : "STRESS-EN";
	order_state *o = stress_order(lang, id);
	doc_request req = { .kind = DOC_AGREEMENT, .order = o,
	                    .date = day("2026-11-10"), .signer_name = SIGNER };
	char *name = xasprintf("doc_render-t-stress-%s.pdf", language_name(lang));
	const char *stamp = lang == LANG_RU ? "КОММЕРЧЕСКАЯ ТАЙНА" : "SECRET";
	const char *money = lang == LANG_RU ? "150 000,00 ₽" : "RUB 150,000.00";
	struct rendered r, again;
	struct pages p;
	size_t table_pages = 0, words = 0, stamped = 0;
	bool good;
	struct timespec t0, t1;
	const int runs = 10;

	if (!render_to(t, &req, name, &r))
		bail("cannot render %s", name);
	if (!tools) {
		for (int i = 0; i < 8; i++)
			skip("qpdf or poppler-utils not installed");
	} else {
		pages_read(r.path, &p);
		ok(p.count >= 4, "%s: a long order takes %zu pages", id, p.count);
		ok(qpdf_clean(r.path), "%s: qpdf --check", id);
		for (size_t i = 0; i < p.count; i++)
			stamped += strstr(p.page[i], stamp) != NULL;
		is_int((long long)p.count, (long long)stamped,
		       "%s: \"%s\" on every page", id, stamp);
		good = header_on_table_pages(&p, lang, &table_pages);
		ok(good && table_pages >= 2, "%s: the table breaks across %zu "
		   "pages, its header on each", id, table_pages);
		ok(lines_in_order(&p, lang), "%s: all 80 lines, in order", id);
		good = inside_margins(r.path, &words);
		ok(good, "%s: all %zu words inside the margins (an unbreakable "
		   "160-letter word included)", id, words);
		ok(strstr(p.all, money) != NULL, "%s: the price reads \"%s\"", id,
		   money);
		ok(footers(&p, id, 3, lang), "%s: page X of %zu and the version "
		   "in every footer", id, p.count);
		pages_free(&p);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < runs; i++) {
		if (i > 0)
			free(again.pdf);
		if (doc_render(t, &req, &again.pdf, &again.length,
		               &again.sig_page, again.rect) != 0)
			bail("cannot render %s again", id);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ok(again.length == r.length && memcmp(again.pdf, r.pdf, r.length) == 0
	   && again.sig_page == r.sig_page, "%s: rendered again, the same "
	   "%zu bytes", id, r.length);
	ok(same_in_child(t, &req, &r), "%s: a forked process (which loads "
	   "its own fonts) renders the same bytes", id);
	diag("%s: %.1f ms and %zu bytes per document", id,
	     elapsed_ms(&t0, &t1) / runs, again.length);
	free(again.pdf);
	rendered_free(&r);
	free(name);
	order_state_free(o);
}

/* ---- acts and amendments built by hand ----------------------------------- */

static void test_act(const doc_templates *t)
{
	order_state *o = small_order(LANG_RU, "ACT-RU", "RUB", 10000000);
	op_effect effect = { .version = 1, .days_late = 3, .penalty = 30000 };
	doc_request req = { .kind = DOC_ACT, .order = o, .effect = &effect,
	                    .date = day("2026-11-23"), .payments = 10005000,
	                    .signer_name = SIGNER };
	struct rendered r;
	struct pages p;
	size_t words;
	bool good;

	o->completed_on = day("2026-11-23");
	o->fields.terms.has_penalty = true;
	o->fields.terms.penalty_rate_per_day = 1000;
	o->fields.terms.penalty_cap = 50000;
	if (!render_to(t, &req, "doc_render-t-act-late-ru.pdf", &r))
		bail("cannot render the late act");
	if (!tools) {
		skip("poppler-utils not installed");
		skip("poppler-utils not installed");
	} else {
		pages_read(r.path, &p);
		ok(strstr(p.all, "составила 3 календарных дня") != NULL &&
		   strstr(p.all, "300,00 ₽") != NULL,
		   "act ru: 3 days late, in the right grammatical form, and the "
		   "penalty");
		ok(strstr(p.all, "99 700,00 ₽") != NULL &&
		   strstr(p.all, "Переплата, подлежащая возврату Заказчику") !=
		   NULL && strstr(p.all, "350,00 ₽") != NULL &&
		   strstr(p.all, "Остаток к оплате") == NULL,
		   "act ru: paid 100 050,00 ₽ of 99 700,00 ₽ due: an "
		   "overpayment of 350,00 ₽ to refund, no balance due");
		pages_free(&p);
	}
	rendered_free(&r);
	order_state_free(o);

	/* the longest id there is: the footer still fits */
	o = small_order(LANG_EN, "ACT-EN-0123456789-abcdefghijklmnopqrstuvwxyz"
	                "-ABCDEFGHIJKLMNOPQRS", "JPY", 1500000);
	effect.days_late = 1;
	effect.penalty = 0;
	req.order = o;
	req.payments = 500000;
	o->completed_on = day("2026-11-21");
	if (!render_to(t, &req, "doc_render-t-act-late-en.pdf", &r))
		bail("cannot render the late act");
	if (!tools) {
		skip("poppler-utils not installed");
		skip("poppler-utils not installed");
	} else {
		pages_read(r.path, &p);
		ok(strstr(p.all, "completed 1 calendar day late") != NULL &&
		   strstr(p.all, "no liquidated damages") != NULL &&
		   strstr(p.all, "JPY 1,000,000") != NULL,
		   "act en: 1 calendar day late, no damages, JPY without "
		   "decimals");
		words = 0;
		good = inside_margins(r.path, &words) &&
		       footers(&p, o->id, 1, LANG_EN);
		ok(good, "act en: a 64-character order id: the footer stays "
		   "inside the margins");
		pages_free(&p);
	}
	rendered_free(&r);
	order_state_free(o);
}

static void test_amendment(const doc_templates *t)
{
	order_state *before = small_order(LANG_RU, "AMD-RU", "RUB", 10000000);
	order_state *after = order_state_clone(before);
	op_effect effect = { .version = 2,
	                     .changed = FIELD_PRICE | FIELD_DUE | FIELD_TERMS };
	doc_request req = { .kind = DOC_AMENDMENT, .order = after,
	                    .before = before, .effect = &effect,
	                    .date = day("2026-11-12"), .signer_name = SIGNER,
	                    .reason = "Заказчик расширил объём проверки." };
	struct rendered r;
	struct pages p;

	after->version = 2;
	after->fields.price = 12000000;
	after->fields.due = day("2026-12-04");
	after->fields.terms.has_penalty = true;
	after->fields.terms.penalty_rate_per_day = 500;
	after->fields.terms.penalty_cap = 25000;
	if (!render_to(t, &req, "doc_render-t-amendment-hand-ru.pdf", &r))
		bail("cannot render the amendment");
	if (!tools) {
		skip("poppler-utils not installed");
	} else {
		pages_read(r.path, &p);
		ok(strstr(p.all, "100 000,00 ₽") != NULL &&
		   strstr(p.all, "120 000,00 ₽") != NULL &&
		   strstr(p.all, "20.11.2026") != NULL &&
		   strstr(p.all, "04.12.2026") != NULL &&
		   strstr(p.all, "Неустойка не предусмотрена") != NULL &&
		   strstr(p.all, "0,05 %") != NULL &&
		   strstr(p.all, "расширил объём проверки.") != NULL &&
		   strstr(p.all, "проверки..") == NULL,
		   "amendment ru: each changed field old and new, the reason "
		   "with one full stop");
		pages_free(&p);
	}
	rendered_free(&r);
	order_state_free(before);
	order_state_free(after);
}

/* ---- the layout itself --------------------------------------------------- */

static void no_footer(void *ctx, int page, int pages, char **left,
                      char **right)
{
	(void)ctx;
	(void)page;
	(void)pages;
	*left = xstrdup("");
	*right = xstrdup("");
}

/* Dark pixels of page 1 of a PDF with one bold word, at 100 dpi. */
static long ink(const char *text, const char *name)
{
	layout_run word = { .text = text, .bold = true };
	layout_para para = { .runs = &word, .run_count = 1,
	                     .style = LAYOUT_TITLE, .align = LAYOUT_LEFT };
	layout *l = layout_begin(NULL);
	char *path = test_tmp_path(name), *command, *out;
	unsigned char *pdf;
	size_t length;
	long dark = 0;
	int w, h, max, header = 0;

	if (l == NULL)
		bail("no layout");
	layout_paragraph(l, &para);
	if (layout_finish(l, no_footer, NULL, &pdf, &length) != 0)
		bail("cannot draw %s", text);
	write_file(path, pdf, length);
	free(pdf);
	command = xasprintf("pdftoppm -gray -r 100 -f 1 -l 1 '%s' 2>/dev/null",
	                    path);
	out = run(command, NULL);
	if (sscanf(out, "P5 %d %d %d%n", &w, &h, &max, &header) == 3) {
		const unsigned char *px = (const unsigned char *)out + header + 1;
		for (long i = 0; i < (long)w * h; i++)
			dark += px[i] < 128;
	}
	free(out);
	free(command);
	free(path);
	return dark;
}

static void test_layout(const doc_templates *t)
{
	order_state *o = small_order(LANG_RU, "NOPRICE", "RUB", 100);
	doc_request req = { .kind = DOC_AGREEMENT, .order = o,
	                    .date = day("2026-11-05"), .signer_name = SIGNER };
	unsigned char *pdf = NULL;
	size_t length;
	int page;
	double rect[4];
	char *seen;
	int status;

	if (!tools) {
		skip("pdftoppm not installed");
	} else {
		long yery = ink("ЫЫЫЫЫЫ", "doc_render-t-yery.pdf");
		long soft = ink("ЬЬЬЬЬЬ", "doc_render-t-soft.pdf");
		ok(yery > soft + soft / 5, "a glyph built of composite glyphs is "
		   "embedded whole (bold Ы: %ld dark pixels, Ь: %ld)", yery,
		   soft);
	}
	o->fields.present &= ~(unsigned)FIELD_PRICE;
	capture_begin();
	status = doc_render(t, &req, &pdf, &length, &page, rect);
	seen = capture_end();
	is_string("mandate: error: order 'NOPRICE': cannot draw the agreement "
	          "without a price\n", status != 0 ? seen : "(rendered)",
	          "an order without a price: a clear error, no document");
	free(seen);
	free(pdf);
	order_state_free(o);
}

int main(void)
{
	doc_templates *t;

	plan(BAD_TEMPLATES + 1 + 1 + 1 + 6 * 6 + 2 * 10 + 4 + 1 + 2);
	sink = tmpfile();
	if (sink == NULL)
		bail("no temporary file");
	diag_set_stream(sink);
	tools = have("qpdf") && have("pdftotext") && have("pdffonts") &&
	        have("pdftoppm");
	if (!tools)
		diag("qpdf or poppler-utils missing: their checks are skipped");

	test_loading();
	capture_begin();
	t = doc_templates_load();
	if (t == NULL) {
		char *seen = capture_end();
		diag("%s", seen);
		free(seen);
	}
	ok(t != NULL, "the six templates load");
	if (t == NULL)
		bail("no templates");

	test_samples(t);
	test_stress(t, LANG_RU);
	test_stress(t, LANG_EN);
	test_act(t);
	test_amendment(t);
	test_layout(t);

	doc_templates_free(t);
	layout_shutdown();
	fclose(sink);
	return tap_done();
}
