/*
 * Stand-in (NOT ESP-IDF) for the GPIO driver. Two GPIOs are wired to the
 * virtual board's BOOT0 and NRST (its control socket: "boot0 1", "nrst 0",
 * answered "ok"). A pin drives its wire only as an output: push-pull gives
 * its level; open-drain pulls low or lets go (the board's pull-up: high);
 * a pin that is not an output lets go (NRST high, BOOT0 low: the
 * Discovery's pull-down). NRST driven push-pull high would fight the reset
 * button: that counts as a violation.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "esp_log.h"
#include "standin.h"

static struct {
	bool init;
	int sock;
	int boot0, nrst;
	gpio_mode_t mode[GPIO_NUM_MAX];
	uint32_t level[GPIO_NUM_MAX];
	int sent[GPIO_NUM_MAX]; /* last level told the board, -1: none */
	unsigned violations;
} G;

static void init(void)
{
	if (G.init)
		return;
	G.init = true;
	G.sock = -1;
	const char *b = getenv("TS_STANDIN_GPIO_BOOT0"), *r = getenv("TS_STANDIN_GPIO_NRST");
	G.boot0 = b ? atoi(b) : 4;
	G.nrst = r ? atoi(r) : 5;
	for (int i = 0; i < GPIO_NUM_MAX; i++)
		G.sent[i] = -1;
	const char *path = getenv("TS_STANDIN_BOARD_CTL");
	if (!path)
		return;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	G.sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (G.sock < 0 || connect(G.sock, (struct sockaddr *)&a, sizeof a) != 0) {
		ESP_LOGE("standin-gpio", "board control %s: %s", path, strerror(errno));
		if (G.sock >= 0)
			close(G.sock);
		G.sock = -1;
	}
}

gpio_mode_t standin_gpio_mode(int gpio)
{
	init();
	return gpio >= 0 && gpio < GPIO_NUM_MAX ? G.mode[gpio] : GPIO_MODE_DISABLE;
}

unsigned standin_gpio_violations(void)
{
	return G.violations;
}

static esp_err_t tell_board(const char *pin, int level)
{
	if (G.sock < 0)
		return ESP_OK;
	char cmd[32], line[128];
	int n = snprintf(cmd, sizeof cmd, "%s %d\n", pin, level);
	if (write(G.sock, cmd, (size_t)n) != n)
		return ESP_FAIL;
	size_t got = 0;
	for (;;) {
		struct pollfd p = { .fd = G.sock, .events = POLLIN };
		if (poll(&p, 1, 30000) <= 0 || read(G.sock, line + got, 1) != 1)
			return ESP_FAIL;
		if (line[got] == '\n')
			break;
		if (got + 2 < sizeof line)
			got++;
	}
	line[got] = '\0';
	if (strncmp(line, "ok", 2) != 0) {
		ESP_LOGE("standin-gpio", "board answered '%s' to %s %d", line, pin, level);
		return ESP_FAIL;
	}
	return ESP_OK;
}

/* What the wire on gpio sees now; tell the board when it changed. */
static esp_err_t update_wire(int gpio)
{
	if (gpio != G.boot0 && gpio != G.nrst)
		return ESP_OK;
	bool out = G.mode[gpio] & GPIO_MODE_DEF_OUTPUT;
	bool od = G.mode[gpio] & GPIO_MODE_DEF_OD;
	int level;
	if (!out)
		level = gpio == G.nrst ? 1 : 0;
	else if (od)
		level = G.level[gpio] ? 1 : 0;
	else
		level = (int)G.level[gpio];
	if (gpio == G.nrst && out && !od && level == 1) {
		G.violations++;
		ESP_LOGW("standin-gpio", "NRST (GPIO %d) driven high push-pull: it fights the "
			 "board's reset button; use GPIO_MODE_OUTPUT_OD", gpio);
	}
	if (G.sent[gpio] == level)
		return ESP_OK;
	G.sent[gpio] = level;
	return tell_board(gpio == G.nrst ? "nrst" : "boot0", level);
}

esp_err_t gpio_config(const gpio_config_t *c)
{
	init();
	if (!c || !c->pin_bit_mask || (c->pin_bit_mask >> GPIO_NUM_MAX))
		return ESP_ERR_INVALID_ARG;
	esp_err_t err = ESP_OK;
	for (int i = 0; i < GPIO_NUM_MAX; i++)
		if (c->pin_bit_mask & (1ULL << i)) {
			G.mode[i] = c->mode;
			if (update_wire(i) != ESP_OK)
				err = ESP_FAIL;
		}
	return err;
}

esp_err_t gpio_set_level(gpio_num_t gpio, uint32_t level)
{
	init();
	if ((int)gpio < 0 || gpio >= GPIO_NUM_MAX)
		return ESP_ERR_INVALID_ARG;
	G.level[gpio] = level ? 1 : 0;
	return update_wire(gpio);
}

esp_err_t gpio_reset_pin(gpio_num_t gpio)
{
	init();
	if ((int)gpio < 0 || gpio >= GPIO_NUM_MAX)
		return ESP_ERR_INVALID_ARG;
	G.mode[gpio] = GPIO_MODE_INPUT;
	return update_wire(gpio);
}
