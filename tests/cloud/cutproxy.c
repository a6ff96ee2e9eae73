/* The cutting proxy: see cutproxy.h. Loopback only; every wait is bounded. */
#include "cutproxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int connect_upstream(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void *run(void *arg)
{
	struct cutproxy *p = arg;
	int cfd = -1, ufd = -1;
	uint64_t passed = 0, limit = UINT64_MAX;
	char buf[4096];
	while (!p->stop) {
		struct pollfd fds[3] = { { p->lfd, POLLIN, 0 }, { cfd, POLLIN, 0 },
					 { ufd, POLLIN, 0 } };
		int n = poll(fds, 3, 50);
		if (n <= 0)
			continue;
		if (fds[0].revents & POLLIN) {
			int nfd = accept(p->lfd, NULL, NULL);
			if (nfd >= 0) {
				if (cfd >= 0)
					close(cfd);
				if (ufd >= 0)
					close(ufd);
				cfd = nfd;
				ufd = connect_upstream(p->upstream_port);
				passed = 0;
				limit = p->connections < p->ncuts ? p->cuts[p->connections]
								  : UINT64_MAX;
				p->connections++;
				if (ufd < 0) {
					close(cfd);
					cfd = -1;
				}
			}
			continue;
		}
		bool drop = false;
		if (cfd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t k = read(cfd, buf, sizeof buf);
			if (k <= 0 || write(ufd, buf, (size_t)k) != k)
				drop = true;
		}
		if (!drop && ufd >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t k = read(ufd, buf, sizeof buf);
			if (k <= 0) {
				drop = true;
			} else {
				size_t send = (size_t)k;
				if (passed + send >= limit) {
					send = (size_t)(limit - passed);
					drop = true;
					p->cut_done++;
				}
				if (send && write(cfd, buf, send) != (ssize_t)send)
					drop = true;
				passed += send;
			}
		}
		if (drop) {
			if (cfd >= 0)
				close(cfd);
			if (ufd >= 0)
				close(ufd);
			cfd = ufd = -1;
		}
	}
	if (cfd >= 0)
		close(cfd);
	if (ufd >= 0)
		close(ufd);
	return NULL;
}

int cutproxy_start(struct cutproxy *p)
{
	p->stop = 0;
	p->connections = p->cut_done = 0;
	p->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (p->lfd < 0)
		return -1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof a;
	if (bind(p->lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(p->lfd, 8) < 0 ||
	    getsockname(p->lfd, (struct sockaddr *)&a, &al) < 0) {
		close(p->lfd);
		return -1;
	}
	p->port = ntohs(a.sin_port);
	if (pthread_create(&p->thread, NULL, run, p) != 0) {
		close(p->lfd);
		return -1;
	}
	return 0;
}

void cutproxy_stop(struct cutproxy *p)
{
	p->stop = 1;
	pthread_join(p->thread, NULL);
	close(p->lfd);
}
