/*
 * twinslot publish: upload a release to S3 (or the local S3 server) with
 * Signature V4: the two slot images first, the manifest last, so that no
 * device ever sees a manifest naming a missing object. Prints the manifest
 * and its ETag: exactly what devices will see on their next poll.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "creds.h"
#include "opts.h"
#include "ts_linux.h"
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
	"Both images are checked whole before anything is sent.\n";

static const struct ts_optdef OPTS[] = {
	{ "--bucket", NULL, "B", "the bucket" },
	{ "--endpoint", NULL, "URL", "https://s3.REGION.amazonaws.com, http://127.0.0.1:PORT" },
	{ "--release", NULL, "DIR", "holds slot-a.img and slot-b.img (from twinslot pack)" },
	{ "--prefix", NULL, "P", "key prefix (default: none)" },
	{ "--region", NULL, "R", "signing region (default: us-east-1)" },
	{ "--product", NULL, "NAME", "the manifest's product (default: twinslot)" },
	{ "--virtual-hosted", NULL, NULL, "bucket.host/key URLs instead of host/bucket/key" },
	{ "--ca-file", NULL, "PEM", "trust these CAs instead of the system's" },
	{ "--credentials", NULL, "FILE", "AWS credentials file ([default] aws_access_key_id,\n"
					 "aws_secret_access_key, aws_session_token; mode 0600);\n"
					 "default: $AWS_ACCESS_KEY_ID, $AWS_SECRET_ACCESS_KEY,\n"
					 "$AWS_SESSION_TOKEN. Never on the command line." },
};

static const struct ts_cmdspec SPEC = {
	"publish", USAGE, OPTS, sizeof OPTS / sizeof OPTS[0], 0, NULL, NULL, 0,
};

static const char CMD[] = "publish";

struct release {
	uint8_t *img[2];
	size_t len[2];
	struct ts_manifest m;
	char text[TS_MANIFEST_MAX];
	long text_len;
	char mkey[256];
};

/* Both images checked whole, one version, and the manifest naming them. */
static int prepare(struct release *r, const char *dir, const char *prefix, const char *product)
{
	char pre[200] = "";
	if (prefix && *prefix) {
		size_t pl = strlen(prefix);
		while (pl && prefix[pl - 1] == '/')
			pl--;
		snprintf(pre, sizeof pre, "%.*s/", (int)pl, prefix);
	}
	for (int s = 0; s < 2; s++) {
		char path[1024];
		struct ts_image_header h;
		snprintf(path, sizeof path, "%s/slot-%c.img", dir, "ab"[s]);
		if (ts_load_image(CMD, path, s, &r->img[s], &r->len[s], &h) != TS_EXIT_OK)
			return TS_EXIT_REFUSED;
		if (s == 1 && h.version != r->m.version) {
			char va[TS_VERSION_STR_MAX], vb[TS_VERSION_STR_MAX];
			ts_version_format(r->m.version, va);
			ts_version_format(h.version, vb);
			ts_cli_err(CMD, "slot-a.img is %s but slot-b.img is %s: one release, one "
					"version", va, vb);
			return TS_EXIT_REFUSED;
		}
		uint32_t want = ts_manifest_product_id(product ? product : "twinslot");
		if (h.product_id != want) {
			ts_cli_err(CMD, "%s: product id 0x%08x, but the manifest's product \"%s\" is id "
				   "0x%08x: agents would refuse it; pack with --product %s", path,
				   (unsigned)h.product_id, product ? product : "twinslot",
				   (unsigned)want, product ? product : "twinslot");
			return TS_EXIT_REFUSED;
		}
		r->m.version = h.version;
		r->m.image[s].size = (uint32_t)r->len[s];
		ts_sha256(r->img[s], r->len[s], r->m.image[s].sha256);
	}
	char ver[TS_VERSION_STR_MAX];
	ts_version_format(r->m.version, ver);
	snprintf(r->m.product, sizeof r->m.product, "%s", product ? product : "twinslot");
	for (int s = 0; s < 2; s++)
		snprintf(r->m.image[s].key, sizeof r->m.image[s].key, "%s%s/slot-%c.img", pre, ver,
			 "ab"[s]);
	snprintf(r->mkey, sizeof r->mkey, "%smanifest.json", pre);
	r->text_len = ts_manifest_write(&r->m, r->text, sizeof r->text);
	if (r->text_len < 0) {
		ts_cli_err(CMD, "cannot write the manifest: %s (product names must not "
				"hold quotes or backslashes)", ts_strerror((int)r->text_len));
		return TS_EXIT_REFUSED;
	}
	return TS_EXIT_OK;
}

/* Images first, the manifest last. */
static int upload(struct ts_s3 *s3, const struct release *r, const char *bucket)
{
	for (int s = 0; s < 2; s++) {
		struct ts_s3_object o;
		if (ts_s3_put_buf(s3, r->m.image[s].key, "application/octet-stream", r->img[s],
				  r->len[s], &o)) {
			ts_cli_err(CMD, "%s", s3->error);
			return TS_EXIT_REFUSED;
		}
		printf("uploaded s3://%s/%s (%zu bytes, ETag %s)\n", bucket, r->m.image[s].key,
		       r->len[s], o.etag);
	}
	struct ts_s3_object mo;
	if (ts_s3_put_buf(s3, r->mkey, "application/json", r->text, (size_t)r->text_len, &mo)) {
		ts_cli_err(CMD, "%s", s3->error);
		return TS_EXIT_REFUSED;
	}
	printf("uploaded s3://%s/%s last (ETag %s)\n\n"
	       "Devices polling s3://%s/%s will see ETag %s and:\n%s",
	       bucket, r->mkey, mo.etag, bucket, r->mkey, mo.etag, r->text);
	return TS_EXIT_OK;
}

int ts_cmd_publish(int argc, char **argv)
{
	struct ts_args a;
	int r = ts_args_parse(&SPEC, argc, argv, &a);
	if (r != TS_ARGS_OK)
		return r == TS_ARGS_HELP ? TS_EXIT_OK : TS_EXIT_USAGE;
	const char *bucket = ts_arg(&a, "--bucket"), *endpoint = ts_arg(&a, "--endpoint");
	const char *release = ts_arg(&a, "--release");
	if (!bucket || !endpoint || !release) {
		ts_cli_err(CMD, "--bucket, --endpoint and --release are required");
		return TS_EXIT_USAGE;
	}
	static struct ts_cli_creds cc;
	struct ts_sigv4_creds creds;
	if (!ts_cli_load_creds(CMD, ts_arg(&a, "--credentials"), &cc, &creds))
		return TS_EXIT_REFUSED;
	if (!creds.access_key[0] || !creds.secret_key[0]) {
		ts_cli_err(CMD, "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
				"or give --credentials FILE");
		return TS_EXIT_USAGE;
	}

	/* The endpoint and the images are checked before anything goes out. */
	static struct ts_s3 s3;
	static struct release rel;
	struct ts_linux *lx = NULL;
	struct ts_port port;
	char msg[300];
	struct ts_linux_cfg lc = { .http = true, .ca_file = ts_arg(&a, "--ca-file") };
	struct ts_s3_config cfg = {
		.endpoint = endpoint, .bucket = bucket, .region = ts_arg(&a, "--region"),
		.virtual_hosted = ts_flag(&a, "--virtual-hosted"),
		.creds = creds,
	};
	int exit_code = TS_EXIT_USAGE;
	memset(&rel, 0, sizeof rel);
	if (ts_linux_open(&lx, &lc, &port, msg, sizeof msg) != TS_OK)
		ts_cli_err(CMD, "%s", msg);
	else if (ts_s3_init(&s3, &port, &cfg) != TS_OK)
		ts_cli_err(CMD, "%s", s3.error);
	else if ((exit_code = prepare(&rel, release, ts_arg(&a, "--prefix"),
				      ts_arg(&a, "--product"))) == TS_EXIT_OK)
		exit_code = upload(&s3, &rel, bucket);
	ts_linux_close(lx);
	ts_cli_wipe_creds(&cc);
	free(rel.img[0]);
	free(rel.img[1]);
	ts_args_free(&a);
	return exit_code;
}
