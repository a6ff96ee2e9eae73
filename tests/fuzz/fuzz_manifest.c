/*
 * libFuzzer target: the release manifest, the one document a device takes
 * from the bucket as it is (ts_manifest_parse over the core's own JSON
 * reader). Invariants (abort when broken): a refusal always leaves a message
 * starting "manifest: "; a manifest that parses writes back (ts_manifest_write)
 * to text that parses to the same manifest, and writes the same text again;
 * no read outside the input (ASan), no undefined behaviour (UBSan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "twinslot/err.h"
#include "twinslot/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ts_manifest m, back;
	static char text[TS_MANIFEST_MAX + 1], again[TS_MANIFEST_MAX + 1];
	char err[200];
	err[0] = '\0';
	/* The reader takes a length: the input needs no NUL, and must not be
	 * read past (a copy of exactly size bytes lets ASan see that). */
	char *json = malloc(size ? size : 1);
	if (!json)
		return 0;
	memcpy(json, data, size);
	int rc = ts_manifest_parse(json, size, &m, err, sizeof err);
	free(json);
	if (rc != TS_OK) {
		if (strncmp(err, "manifest: ", 10) != 0)
			abort();
		return 0;
	}
	long n = ts_manifest_write(&m, text, sizeof text);
	if (n < 0)
		return 0; /* a product or key the writer cannot quote: refused, fine */
	if (ts_manifest_parse(text, (size_t)n, &back, err, sizeof err) != TS_OK)
		abort();
	if (back.version != m.version || strcmp(back.product, m.product) != 0 ||
	    memcmp(back.image, m.image, sizeof m.image) != 0)
		abort();
	long n2 = ts_manifest_write(&back, again, sizeof again);
	if (n2 != n || memcmp(text, again, (size_t)n) != 0)
		abort();
	return 0;
}
