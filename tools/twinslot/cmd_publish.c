/*
 * twinslot publish: upload a release to S3 (or the local S3 server) with
 * Signature V4: the two slot images first, the manifest last, so that no
 * device ever sees a manifest naming a missing object. Prints the manifest
 * and its ETag: exactly what devices will see on their next poll.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "http_curl.h"
#include "twinslot/err.h"
#include "twinslot/image.h"
#include "twinslot/manifest.h"
#include "twinslot/s3.h"
#include "twinslot/sha256.h"
#include "twinslot/version.h"

static const char USAGE[] =
	"usage: twinslot publish --bucket B --endpoint URL --release DIR [options]\n"
	"\n"
	"Uploads DIR/slot-a.img and DIR/slot-b.img to PREFIX/VERSION/, then\n"
	"PREFIX/manifest.json last. VERSION is read from the images' headers.\n"
	"\n"
	"  --bucket B          the bucket\n"
	"  --endpoint URL      https://s3.REGION.amazonaws.com, http://127.0.0.1:PORT\n"
	"  --release DIR       holds slot-a.img and slot-b.img (from twinslot pack)\n"
	"  --prefix P          key prefix (default: none)\n"
	"  --region R          signing region (default: us-east-1)\n"
	"  --product NAME      the manifest's product (default: twinslot)\n"
	"  --virtual-hosted    bucket.host/key URLs instead of host/bucket/key\n"
	"  --ca-file PEM       trust these CAs instead of the system's\n"
	"  --access-key K, --secret-key S, --session-token T\n"
	"                      credentials (default: AWS_ACCESS_KEY_ID,\n"
	"                      AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)\n";

static const char CMD[] = "publish";

static uint64_t wall(void *arg)
{
	(void)arg;
	return (uint64_t)time(NULL);
}

int ts_cmd_publish(int argc, char **argv)
{
	const char *bucket = NULL, *endpoint = NULL, *release = NULL, *prefix = NULL;
	const char *region = NULL, *product = NULL, *ca = NULL, *ak = NULL, *sk = NULL,
		   *tok = NULL;
	bool vhost = false;
	for (int i = 1; i < argc;) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(USAGE, stdout);
			return TS_EXIT_OK;
		}
		if (strcmp(argv[i], "--virtual-hosted") == 0) {
			vhost = true;
			i++;
			continue;
		}
		int r;
		if ((r = ts_opt(CMD, argc, argv, &i, "--bucket", &bucket)) ||
		    (r = ts_opt(CMD, argc, argv, &i, "--endpoint", &endpoint)) ||
		    (r = ts_opt(CMD, argc, argv, &i, "--release", &release)) ||
		    (r = ts_opt(CMD, argc, argv, &i, "--prefix", &prefix)) ||
		    (r = ts_opt(CMD, argc, argv, &i, "--region", &region)) ||
		    (r = ts_opt(CMD, argc, argv, &i, "--product", &product)) ||
		    (r = ts_opt(CMD, argc, argv, &i, "--ca-file", &ca)) ||
		    (r = ts_opt(CMD, argc, argv, &i, "--access-key", &ak)) ||
		    (r = ts_opt(CMD, argc, argv, &i, "--secret-key", &sk)) ||
		    (r = ts_opt(CMD, argc, argv, &i, "--session-token", &tok))) {
			if (r < 0)
				return TS_EXIT_USAGE;
			continue;
		}
		ts_cli_err(CMD, "unknown option \"%s\" (see twinslot publish --help)", argv[i]);
		return TS_EXIT_USAGE;
	}
	if (!bucket || !endpoint || !release) {
		ts_cli_err(CMD, "--bucket, --endpoint and --release are required");
		return TS_EXIT_USAGE;
	}
	if (!ak)
		ak = getenv("AWS_ACCESS_KEY_ID");
	if (!sk)
		sk = getenv("AWS_SECRET_ACCESS_KEY");
	if (!tok)
		tok = getenv("AWS_SESSION_TOKEN");
	if (!ak || !*ak || !sk || !*sk) {
		ts_cli_err(CMD, "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
				"or pass --access-key and --secret-key");
		return TS_EXIT_USAGE;
	}
	if (!product)
		product = "twinslot";
	char pre[200] = "";
	if (prefix && *prefix) {
		size_t pl = strlen(prefix);
		while (pl && prefix[pl - 1] == '/')
			pl--;
		snprintf(pre, sizeof pre, "%.*s/", (int)pl, prefix);
	}

	/* Read and check both images before anything goes out. */
	uint8_t *img[2] = { NULL, NULL };
	size_t len[2];
	struct ts_manifest m;
	memset(&m, 0, sizeof m);
	int exit_code = TS_EXIT_REFUSED;
	struct ts_http_curl curl;
	bool curl_open = false;
	for (int s = 0; s < 2; s++) {
		char path[1024], msg[256];
		snprintf(path, sizeof path, "%s/slot-%c.img", release, "ab"[s]);
		if (ts_read_file(path, &img[s], &len[s], msg, sizeof msg) != TS_OK) {
			ts_cli_err(CMD, "%s: %s", path, msg);
			goto out;
		}
		struct ts_image_header h;
		int rc = ts_image_validate(img[s], (uint32_t)len[s], s ? TS_SLOT_B : TS_SLOT_A, &h,
					   NULL);
		if (rc != TS_OK) {
			ts_cli_err(CMD, "%s: not a valid slot-%c image: %s (check it with "
					"twinslot inspect)", path, "AB"[s], ts_strerror(rc));
			goto out;
		}
		if (s == 1 && h.version != m.version) {
			char va[TS_VERSION_STR_MAX], vb[TS_VERSION_STR_MAX];
			ts_version_format(m.version, va);
			ts_version_format(h.version, vb);
			ts_cli_err(CMD, "slot-a.img is %s but slot-b.img is %s: one release, one "
					"version", va, vb);
			goto out;
		}
		m.version = h.version;
		m.image[s].size = (uint32_t)len[s];
		ts_sha256(img[s], len[s], m.image[s].sha256);
	}
	char ver[TS_VERSION_STR_MAX];
	ts_version_format(m.version, ver);
	snprintf(m.product, sizeof m.product, "%s", product);
	for (int s = 0; s < 2; s++)
		snprintf(m.image[s].key, sizeof m.image[s].key, "%s%s/slot-%c.img", pre, ver,
			 "ab"[s]);
	char text[TS_MANIFEST_MAX];
	long tl = ts_manifest_write(&m, text, sizeof text);
	if (tl < 0) {
		ts_cli_err(CMD, "cannot write the manifest: %s (product names must not "
				"hold quotes or backslashes)", ts_strerror((int)tl));
		goto out;
	}

	if (ts_http_curl_init(&curl, ca) != TS_OK) {
		ts_cli_err(CMD, "libcurl did not initialise");
		goto out;
	}
	curl_open = true;
	struct ts_port port;
	memset(&port, 0, sizeof port);
	port.ctx = &curl;
	port.http = ts_http_curl_request;
	struct ts_s3_config cfg = {
		.endpoint = endpoint, .bucket = bucket, .region = region,
		.virtual_hosted = vhost, .creds = { ak, sk, tok }, .unix_time = wall,
	};
	static struct ts_s3 s3;
	if (ts_s3_init(&s3, &port, &cfg) != TS_OK) {
		ts_cli_err(CMD, "%s", s3.error);
		exit_code = TS_EXIT_USAGE;
		goto out;
	}
	for (int s = 0; s < 2; s++) {
		struct ts_s3_object o;
		if (ts_s3_put_buf(&s3, m.image[s].key, "application/octet-stream", img[s], len[s], &o)) {
			ts_cli_err(CMD, "%s%s%s", s3.error, curl.error[0] ? ": " : "", curl.error);
			goto out;
		}
		printf("uploaded s3://%s/%s (%zu bytes, ETag %s)\n", bucket, m.image[s].key,
		       len[s], o.etag);
	}
	char mkey[256];
	snprintf(mkey, sizeof mkey, "%smanifest.json", pre);
	struct ts_s3_object mo;
	if (ts_s3_put_buf(&s3, mkey, "application/json", text, (size_t)tl, &mo)) {
		ts_cli_err(CMD, "%s%s%s", s3.error, curl.error[0] ? ": " : "", curl.error);
		goto out;
	}
	printf("uploaded s3://%s/%s last (ETag %s)\n\n"
	       "Devices polling s3://%s/%s will see ETag %s and:\n%s",
	       bucket, mkey, mo.etag, bucket, mkey, mo.etag, text);
	exit_code = TS_EXIT_OK;
out:
	if (curl_open)
		ts_http_curl_close(&curl);
	free(img[0]);
	free(img[1]);
	return exit_code;
}
