/* The update engine and the Linux port alone (no CLI, no other libraries):
 * install one image file into the board's inactive slot. For massif. */
#include <stdio.h>

#include "ts_linux.h"
#include "twinslot/update.h"

static long file_read(void *arg, uint8_t *buf, size_t n)
{
	return (long)fread(buf, 1, n, (FILE *)arg);
}

int main(int argc, char **argv)
{
	struct ts_linux *lx;
	static struct ts_update u;
	struct ts_port port;
	struct ts_update_cfg cfg;
	char msg[256];
	if (argc != 4) {
		fprintf(stderr, "usage: bench_flash PORT PINS IMAGE\n");
		return 2;
	}
	struct ts_linux_cfg lc = { .serial_path = argv[1], .pins = argv[2] };
	if (ts_linux_open(&lx, &lc, &port, msg, sizeof(msg))) {
		fprintf(stderr, "%s\n", msg);
		return 1;
	}
	FILE *f = fopen(argv[3], "rb");
	if (!f)
		return 1;
	ts_update_default_cfg(&cfg);
	cfg.force = true;
	cfg.allow_unsigned = true; /* the benchmark's images are unsigned */
	cfg.outcome_timeout_ms = 30000;
	ts_update_init(&u, &port, &cfg);
	struct ts_source src = { file_read, f, NULL };
	int err = ts_update_flash(&u, &src);
	fclose(f);
	ts_linux_close(lx);
	if (err || u.outcome != TS_OUTCOME_CONFIRMED) {
		fprintf(stderr, "bench_flash: %s (outcome %s)\n", err ? u.msg : "",
			ts_outcome_name(u.outcome));
		return 1;
	}
	return 0;
}
