/*
 * twinslot Agent: keep an STM32F407 up to date from an S3 bucket.
 *
 * Joins Wi-Fi, sets the clock by SNTP (S3 refuses a signature more than 15
 * minutes off, and the port's wall clock stays unset until SNTP answers),
 * then polls the release manifest: one HEAD request per poll while nothing
 * changed; when a new release is published, the agent streams the image for
 * the STM32's inactive slot from S3 through the ROM bootloader, restarts the
 * board and reports whether the new image confirmed itself or was rolled
 * back.
 *
 * Wiring (docs/hardware.md): GPIO4 -> BOOT0, GPIO5 -> NRST (open-drain),
 * GPIO17 (UART2 TX) -> PB11, GPIO16 (UART2 RX) <- PB10 on the
 * STM32F4-Discovery (or PA10/PA9 with C49 removed), GND -> GND.
 * The STM32 runs the twinslot bootloader and a first release (docs/hardware.md,
 * "First flashing"). Messages appear on the USB serial monitor at 115200.
 *
 * Board: any ESP32 with Arduino-ESP32 3.x. Partition scheme: the default is
 * fine (the agent keeps what it remembers in NVS).
 */
#include <WiFi.h>
#include <esp_random.h>
#include <time.h>
#include <twinslot.h>

// ---- your settings ---------------------------------------------------------
static const char WIFI_SSID[] = "my-network";
static const char WIFI_PASSWORD[] = "my-password";

// The bucket: AWS ("https://s3.<region>.amazonaws.com") or any S3 server.
static const char S3_ENDPOINT[] = "https://s3.eu-west-1.amazonaws.com";
static const char S3_BUCKET[] = "my-fw";
static const char S3_REGION[] = "eu-west-1";
// Empty keys: anonymous requests (a public bucket). Otherwise an IAM user's
// keys with s3:GetObject on the prefix (and s3:PutObject on the reports).
static const char AWS_ACCESS_KEY_ID[] = "";
static const char AWS_SECRET_ACCESS_KEY[] = "";

static const char MANIFEST_KEY[] = "fw/manifest.json"; // twinslot publish --prefix fw
static const char PRODUCT[] = "";                      // "" accepts any product
static const char DEVICE[] = "esp32-bench1";           // names the report
// The release signer's public point, as `twinslot keygen` prints it (130 hex
// digits); releases signed with another key, or unsigned, are refused.
static const char PUBKEY_HEX[] = "";
// Development only: also install UNSIGNED releases.
static const bool ALLOW_UNSIGNED = false;
static const char REPORT_PREFIX[] = "fw/reports";      // "" for no report
static const uint32_t POLL_INTERVAL_MS = 60000;
// -----------------------------------------------------------------------------

// Everything lives in static memory: the agent alone holds about 14 KB of
// buffers, too much for the loop task's stack.
static struct ts_esp32_cfg port_cfg;
static struct ts_port port;
static struct ts_s3 s3;
static struct ts_update update;
static struct ts_agent agent;
static struct ts_agent_cfg agent_cfg;

static void halt(const char *what, int err)
{
  Serial.printf("twinslot: %s: %s; stopped\n", what, ts_strerror(err));
  for (;;)
    delay(1000);
}

static void wifi_connect(void)
{
  Serial.printf("twinslot: joining Wi-Fi \"%s\"", WIFI_SSID);
  WiFi.mode(WIFI_STA);
  WiFi.begin(WIFI_SSID, WIFI_PASSWORD);
  while (WiFi.status() != WL_CONNECTED) {
    delay(500);
    Serial.print('.');
  }
  Serial.printf("\ntwinslot: Wi-Fi up, address %s\n", WiFi.localIP().toString().c_str());
}

static void clock_set(void)
{
  // UTC: the port and S3 want Unix time, not local time.
  configTime(0, 0, "pool.ntp.org", "time.google.com");
  Serial.print("twinslot: waiting for SNTP");
  while (!ts_esp32_time_is_set()) {
    delay(500);
    Serial.print('.');
  }
  time_t now = time(nullptr);
  struct tm utc;
  gmtime_r(&now, &utc);
  char when[32];
  strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &utc);
  Serial.printf("\ntwinslot: clock set: %s\n", when);
}

void setup()
{
  Serial.begin(115200);
  delay(200);
  Serial.printf("twinslot: Arduino library %s\n", TWINSLOT_ARDUINO_VERSION);

  wifi_connect();
  clock_set();

  // UART2 on GPIO17/16, BOOT0 on GPIO4, NRST on GPIO5: change the fields
  // here if you wired other pins (docs/hardware.md).
  ts_esp32_default_cfg(&port_cfg);
  int err = ts_esp32_port_open(&port_cfg, &port);
  if (err != TS_OK)
    halt("cannot open the ESP32 port (UART, pins, NVS)", err);

  struct ts_s3_config s3_cfg = {};
  s3_cfg.endpoint = S3_ENDPOINT;
  s3_cfg.bucket = S3_BUCKET;
  s3_cfg.region = S3_REGION;
  s3_cfg.creds.access_key = AWS_ACCESS_KEY_ID;
  s3_cfg.creds.secret_key = AWS_SECRET_ACCESS_KEY;
  char why[160];
  if (ts_s3_check_config(&s3_cfg, why, sizeof why) != TS_OK) {
    Serial.printf("twinslot: S3 settings: %s\n", why);
    halt("S3 settings refused", TS_ERR_INVAL);
  }
  err = ts_s3_init(&s3, &port, &s3_cfg);
  if (err != TS_OK)
    halt(s3.error[0] ? s3.error : "cannot start the S3 client", err);

  struct ts_update_cfg update_cfg;
  ts_update_default_cfg(&update_cfg);
  uint8_t point[TS_PUBKEY_LEN];
  size_t i = 0;
  for (; i < sizeof point && ts_hex_digit(PUBKEY_HEX[2 * i]) >= 0 &&
         ts_hex_digit(PUBKEY_HEX[2 * i + 1]) >= 0; i++)
    point[i] = (uint8_t)(ts_hex_digit(PUBKEY_HEX[2 * i]) << 4 |
                         ts_hex_digit(PUBKEY_HEX[2 * i + 1]));
  if (i == sizeof point)
    ts_update_add_key(&update_cfg, point);
  update_cfg.allow_unsigned = ALLOW_UNSIGNED; // development only
  ts_update_init(&update, &port, &update_cfg);

  ts_agent_default_cfg(&agent_cfg);
  agent_cfg.manifest_key = MANIFEST_KEY;
  agent_cfg.product = PRODUCT[0] ? PRODUCT : NULL;
  agent_cfg.device = DEVICE;
  agent_cfg.report_prefix = REPORT_PREFIX;
  agent_cfg.interval_ms = POLL_INTERVAL_MS;
  agent_cfg.jitter_ms = POLL_INTERVAL_MS / 10;
  err = ts_agent_init(&agent, &agent_cfg, &port, &s3, &update);
  if (err != TS_OK)
    halt("cannot start the agent", err);
  Serial.printf("twinslot: watching s3://%s/%s every %lu s\n", S3_BUCKET, MANIFEST_KEY,
                (unsigned long)(POLL_INTERVAL_MS / 1000));
}

void loop()
{
  enum ts_agent_verdict v = ts_agent_poll(&agent);
  Serial.printf("twinslot: poll %lu: %s: %s\n", (unsigned long)agent.polls,
                ts_agent_verdict_name(v), agent.msg);
  uint32_t wait_ms = ts_agent_next_delay_ms(&agent, esp_random()); // backs off after failures
  delay(wait_ms);
}
