/* board_ctl SOCKET COMMAND: send one line to the virtual board's control
 * channel, print the answer; exit 0 when it starts with "ok". */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: board_ctl SOCKET COMMAND\n");
		return 2;
	}
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", argv[1]);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
		perror(argv[1]);
		return 1;
	}
	char line[512];
	snprintf(line, sizeof(line), "%s\n", argv[2]);
	if (write(s, line, strlen(line)) < 0)
		return 1;
	size_t n = 0;
	while (n + 1 < sizeof(line) && read(s, line + n, 1) == 1 && line[n] != '\n')
		n++;
	line[n] = 0;
	puts(line);
	close(s);
	return strncmp(line, "ok", 2) == 0 ? 0 : 1;
}
