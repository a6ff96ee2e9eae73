/* The update engine and the Linux port alone (no CLI, no other libraries):
 * install one image file into the board's inactive slot. For massif.
 * It also samples glibc's count of heap bytes in use (mallinfo2) at the
 * start of main and at every progress and log call of the engine, and
 * prints both: what the update itself adds to the heap, apart from what
 * the libraries allocated while they were loaded (libcurl, GnuTLS). */
#include <malloc.h>
#include <stdio.h>

#include "ts_linux.h"
#include "twinslot/update.h"

static size_t heap_max;

static void sample(void)
{
	size_t n = mallinfo2().uordblks;
	if (n > heap_max)
		heap_max = n;
}

static void sink_log(void *ctx, enum ts_log_level level, const char *msg)
{
	(void)ctx;
	(void)level;
	(void)msg;
	sample();
}

static void sink_progress(void *ctx, const struct ts_progress *p)
{
	(void)ctx;
	(void)p;
	sample();
}

static const struct ts_sink_ops sampler = { sink_log, sink_progress };

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
	size_t heap_start = mallinfo2().uordblks;
	if (argc != 4) {
		fprintf(stderr, "usage: bench_flash PORT PINS IMAGE\n");
		return 2;
	}
	struct ts_linux_cfg lc = { .serial_path = argv[1], .pins = argv[2], .sink = &sampler };
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
	printf("heap in use: %zu B at the start of main, at most %zu B during the update "
	       "(+%zu B: the port, the image file's stdio buffer, the engine)\n", heap_start,
	       heap_max, heap_max > heap_start ? heap_max - heap_start : 0);
	if (err || u.outcome != TS_OUTCOME_CONFIRMED) {
		fprintf(stderr, "bench_flash: %s (outcome %s)\n", err ? u.msg : "",
			ts_outcome_name(u.outcome));
		return 1;
	}
	return 0;
}
