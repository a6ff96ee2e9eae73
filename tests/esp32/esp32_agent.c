/*
 * The ESP-IDF port's own code (host/ports/esp-idf, compiled unchanged)
 * against the stand-in (standin/, NOT ESP-IDF), driving the virtual board
 * and the local S3 server. The agent mode is the example's main loop
 * (examples/esp-idf-agent/main/main.c) without Wi-Fi and SNTP:
 *
 *   esp32-agent agent ENDPOINT BUCKET MANIFEST PRODUCT DEVICE REPORT_PREFIX
 *                     INTERVAL_MS OUTCOME_TIMEOUT_MS
 *       polls until SIGTERM; then checks what the stand-in recorded.
 *   esp32-agent flash IMAGE OUTCOME_TIMEOUT_MS
 *       one update from a file (connect, install, restart, outcome),
 *       printing "install_ms=N total_ms=N outcome=..." (bench/esp32).
 *
 * Wiring through the stand-in's environment (standin/include/standin.h).
 * Exit 0, or 1 when something failed or the stand-in saw the port break
 * an ESP-IDF rule (parity, NRST drive, NVS commit).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>

#include "esp_timer.h"
#include "nvs_flash.h"
#include "standin.h"
#include "twinslot/agent.h"
#include "twinslot/err.h"
#include "twinslot/update.h"
#include "twinslot_esp32.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* What the port must have asked the UART driver for. */
static int check_standin(const struct ts_esp32_cfg *cfg, bool console_expected)
{
	const struct standin_uart_stats *st = standin_uart_stats(cfg->uart_num);
	int bad = (int)standin_report(stderr);
	bool e1 = false, n1 = false;
	for (unsigned i = 0; i < st->nconfigs && i < STANDIN_MAX_CONFIGS; i++) {
		const struct standin_uart_config *c = &st->configs[i];
		if (c->baud == 115200 && c->data_bits == UART_DATA_8_BITS &&
		    c->stop_bits == UART_STOP_BITS_1) {
			e1 |= c->parity == UART_PARITY_EVEN;
			n1 |= c->parity == UART_PARITY_DISABLE;
		}
	}
	fprintf(stderr, "standin: %u UART configurations (8E1 for the ROM: %s, 8N1 for the "
		"console: %s); RX threshold %d, time-out %d symbols; %llu bytes out, %llu in; "
		"bytes held in the FIFO model %llu ms in all\n",
		st->nconfigs, e1 ? "yes" : "NO", n1 ? "yes" : "NO", st->rx_full_threshold,
		st->rx_timeout, (unsigned long long)st->bytes_out,
		(unsigned long long)st->bytes_in, (unsigned long long)(st->held_us / 1000));
	if (!e1 || (console_expected && !n1)) {
		fprintf(stderr, "standin: FAIL: the port did not ask for 8E1 and 8N1\n");
		bad++;
	}
	if (standin_gpio_mode(cfg->nrst_gpio) != GPIO_MODE_OUTPUT_OD &&
	    standin_gpio_mode(cfg->nrst_gpio) != GPIO_MODE_INPUT) {
		fprintf(stderr, "standin: FAIL: NRST is not open-drain\n");
		bad++;
	}
	return bad;
}

static int open_port(struct ts_esp32_cfg *cfg, struct ts_port *port)
{
	if (nvs_flash_init() != ESP_OK)
		return TS_ERR_IO;
	ts_esp32_default_cfg(cfg);
	return ts_esp32_port_open(cfg, port);
}

static int add_key(struct ts_update_cfg *cfg, const char *pem)
{
	mbedtls_pk_context pk;
	uint8_t point[65];
	size_t n = 0;
	int ok;
	if (!pem) {
		fprintf(stderr, "esp32-agent: no TS_PUBKEY (the trusted public key, PEM)\n");
		return 1;
	}
	mbedtls_pk_init(&pk);
	ok = mbedtls_pk_parse_public_keyfile(&pk, pem) == 0 &&
	     mbedtls_pk_get_type(&pk) == MBEDTLS_PK_ECKEY &&
	     mbedtls_ecp_point_write_binary(&mbedtls_pk_ec(pk)->grp, &mbedtls_pk_ec(pk)->Q,
					    MBEDTLS_ECP_PF_UNCOMPRESSED, &n, point,
					    sizeof point) == 0 &&
	     n == sizeof point && ts_update_add_key(cfg, point) == TS_OK;
	mbedtls_pk_free(&pk);
	if (!ok)
		fprintf(stderr, "esp32-agent: %s: not a P-256 public key\n", pem);
	return ok ? 0 : 1;
}

static int run_agent(char **argv)
{
	static struct ts_s3 s3;
	static struct ts_update u;
	static struct ts_agent agent;
	struct ts_esp32_cfg ecfg;
	struct ts_port port;
	if (open_port(&ecfg, &port) != TS_OK) {
		fprintf(stderr, "esp32-agent: the port did not open\n");
		return 1;
	}
	struct ts_s3_config scfg = {
		.endpoint = argv[0], .bucket = argv[1],
		.creds = { getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"), NULL },
	};
	struct ts_update_cfg ucfg;
	ts_update_default_cfg(&ucfg);
	ucfg.outcome_timeout_ms = (uint32_t)strtoul(argv[7], NULL, 10);
	/* The trusted key, as firmware would carry it (the raw point), from the
	 * PEM in $TS_PUBKEY; the port's crypto concern (mbedTLS) verifies. */
	if (add_key(&ucfg, getenv("TS_PUBKEY")) != 0)
		return 1;
	struct ts_agent_cfg acfg;
	ts_agent_default_cfg(&acfg);
	acfg.manifest_key = argv[2];
	acfg.product = argv[3];
	acfg.device = argv[4];
	acfg.report_prefix = argv[5];
	acfg.interval_ms = (uint32_t)strtoul(argv[6], NULL, 10);
	acfg.jitter_ms = acfg.interval_ms / 4;
	acfg.max_resets = 5;
	int rc = 1;
	if (ts_s3_init(&s3, &port, &scfg) != TS_OK) {
		fprintf(stderr, "esp32-agent: %s\n", s3.error);
	} else {
		ts_update_init(&u, &port, &ucfg);
		u.stop = &stop;
		if (ts_agent_init(&agent, &acfg, &port, &s3, &u) == TS_OK) {
			rc = 0;
			while (!stop) {
				enum ts_agent_verdict v = ts_agent_poll(&agent);
				printf("poll %u: %s: %s\n", (unsigned)agent.polls,
				       ts_agent_verdict_name(v), agent.msg);
				fflush(stdout);
				uint32_t rnd = port.clock->random(port.clock_ctx);
				uint32_t ms = ts_agent_next_delay_ms(&agent, rnd); /* backs off after failures */
				for (uint32_t t = 0; t < ms && !stop; t += 100)
					port.clock->sleep_ms(port.clock_ctx, 100);
			}
		}
	}
	ts_esp32_port_close();
	if (check_standin(&ecfg, agent.updates > 0))
		rc = 1;
	return rc;
}

struct file_src {
	FILE *f;
};

static long file_read(void *arg, uint8_t *buf, size_t n)
{
	struct file_src *s = arg;
	size_t r = fread(buf, 1, n, s->f);
	return ferror(s->f) ? TS_ERR_IO : (long)r;
}

static int run_flash(char **argv)
{
	static struct ts_update u;
	struct ts_esp32_cfg ecfg;
	struct ts_port port;
	struct file_src fs = { fopen(argv[0], "rb") };
	if (!fs.f) {
		perror(argv[0]);
		return 1;
	}
	if (open_port(&ecfg, &port) != TS_OK) {
		fprintf(stderr, "esp32-agent: the port did not open\n");
		return 1;
	}
	struct ts_update_cfg ucfg;
	ts_update_default_cfg(&ucfg);
	ucfg.outcome_timeout_ms = (uint32_t)strtoul(argv[1], NULL, 10);
	if (add_key(&ucfg, getenv("TS_PUBKEY")) != 0)
		return 1;
	ts_update_init(&u, &port, &ucfg);
	struct ts_source src = { file_read, &fs, NULL };
	int64_t t0 = esp_timer_get_time();
	int rc = ts_update_connect(&u);
	if (rc == TS_OK)
		rc = ts_update_install(&u, &src);
	int64_t t1 = esp_timer_get_time();
	if (rc == TS_OK)
		rc = ts_update_restart(&u);
	if (rc == TS_OK)
		rc = ts_update_wait_outcome(&u);
	int64_t t2 = esp_timer_get_time();
	fclose(fs.f);
	ts_esp32_port_close();
	if (rc != TS_OK)
		fprintf(stderr, "esp32-agent: %s: %s\n", ts_strerror(rc), u.msg);
	printf("install_ms=%lld total_ms=%lld bytes=%u outcome=%s\n", (long long)(t1 - t0) / 1000,
	       (long long)(t2 - t0) / 1000, (unsigned)u.bytes_written, ts_outcome_name(u.outcome));
	return check_standin(&ecfg, true) || rc != TS_OK ? 1 : 0;
}

int main(int argc, char **argv)
{
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 10 && strcmp(argv[1], "agent") == 0)
		return run_agent(argv + 2);
	if (argc == 4 && strcmp(argv[1], "flash") == 0)
		return run_flash(argv + 2);
	fprintf(stderr, "usage: esp32-agent agent ENDPOINT BUCKET MANIFEST PRODUCT DEVICE "
		"REPORT_PREFIX INTERVAL_MS OUTCOME_TIMEOUT_MS\n"
		"       esp32-agent flash IMAGE OUTCOME_TIMEOUT_MS\n");
	return 2;
}
