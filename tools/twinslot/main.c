/*
 * twinslot: the developer's and CI's command-line tool. main() only picks the
 * subcommand; each lives in its own cmd_*.c (see cli.h for the conventions).
 */
#include <stdio.h>
#include <string.h>

#include "board_cli.h"
#include "cli.h"

static const char USAGE[] =
	"usage: twinslot COMMAND [OPTIONS]\n"
	"\n"
	"Commands:\n"
	"  keygen    make an ECDSA P-256 key pair for signing releases\n"
	"  pack      make slot images (header + application) from linked ELF or BIN\n"
	"  verify    check release images' signatures against trusted public keys\n"
	"  inspect   show and check an image's header and hash (--json for scripts)\n"
	"  compose   build a full 1 MB flash image: bootloader, slots, journal\n"
	"  publish   upload a release to S3: slot images first, manifest last\n"
	"  flash     install a local release into the board's inactive slot (AN3155)\n"
	"  status    slots, versions and journal state, read from the board\n"
	"  confirm   append CONFIRMED for the image on trial\n"
	"  rollback  append ROLLED_BACK: go back to the other slot's image\n"
	"  read      read memory from the board into a file (service)\n"
	"  erase     erase flash sectors (service)\n"
	"  agent     the polling daemon: installs new releases from S3 on the board\n"
	"  help      this text; 'twinslot COMMAND --help' for a command's options\n"
	"\n"
	"Exit codes:\n"
	"  0  success\n"
	"  1  an input was refused (invalid, unreadable, failed a check); no\n"
	"     output file was written\n"
	"  2  usage error (unknown command or option, missing argument)\n"
	"  3-6  board commands: see 'twinslot flash --help' and docs/host.md\n"
	"\n"
	"Documentation: docs/tools.md\n";

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} COMMANDS[] = {
	{ "keygen", ts_cmd_keygen },
	{ "pack", ts_cmd_pack },
	{ "verify", ts_cmd_verify },
	{ "inspect", ts_cmd_inspect },
	{ "compose", ts_cmd_compose },
	{ "publish", ts_cmd_publish },
	{ "flash", ts_cmd_flash },
	{ "status", ts_cmd_status },
	{ "confirm", ts_cmd_confirm },
	{ "rollback", ts_cmd_rollback },
	{ "read", ts_cmd_read },
	{ "erase", ts_cmd_erase },
	{ "agent", ts_cmd_agent },
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(USAGE, stderr);
		return TS_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "-h") == 0) {
		fputs(USAGE, stdout);
		return TS_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(COMMANDS) / sizeof(COMMANDS[0]); i++)
		if (strcmp(cmd, COMMANDS[i].name) == 0)
			return COMMANDS[i].run(argc - 1, argv + 1);
	fprintf(stderr, "twinslot: unknown command \"%s\" (try twinslot help)\n", cmd);
	return TS_EXIT_USAGE;
}
