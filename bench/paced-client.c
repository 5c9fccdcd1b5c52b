/*
 * The paced-streams load generator (paced-streams.ts runs it): N concurrent streaming requests on
 * raw sockets, and when each token event arrived against when it was due. In C because at 1,000
 * streams and more the client shares the cores with the server: Node's socket reads cost ~12 µs of
 * CPU per event (6.5 of them in JavaScript), as much as the bare server's write; this loop is one
 * epoll_wait per batch of ready sockets, one read per socket and a memchr, so what it costs is the
 * kernel's receive and nothing more.
 *
 * It counts events by their blank line (`\n\n`, which neither the HTTP head nor the chunk framing
 * contains); a response is over three line ends after its last event (`\r\n0\r\n\r\n`, the last
 * chunk). A token's lateness is its arrival minus (the response's first bytes + token × interval).
 *
 *   paced-client <port> <request-file> <streams> <steady|burst> <seconds> <per-token-ms> <tokens> <head-events>
 *
 * Prints one JSON line: the token events, their lateness p50/p99/p99.9/max (ms), the streams that
 * failed, the seconds from the first request to the last end, and this process's CPU (s).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct conn {
  int fd;
  int seen;     /* events of this response so far */
  int trailing; /* line ends after the last event */
  char last;    /* the byte before this read: a blank line may straddle two reads */
  double start; /* the response's first bytes (ms); < 0 before them */
};

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double *lags;
static size_t nlags, caplags;
static void lag(double ms) {
  if (nlags == caplags) {
    caplags = caplags ? caplags * 2 : 1 << 20;
    lags = realloc(lags, caplags * sizeof *lags);
    if (!lags) { perror("realloc"); exit(2); }
  }
  lags[nlags++] = ms;
}
static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}
static double quantile(double p) {
  if (nlags == 0) return 0.0 / 0.0;
  size_t i = (size_t)(p * nlags);
  return lags[i < nlags ? i : nlags - 1];
}

static char *request;
static size_t request_len;
static int port, epfd, events_per_response, tokens, head_events;
static double per_token_ms, end_at;
static long failed, open_conns;
static int steady;

static void close_conn(struct conn *c) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c);
  open_conns--;
}

static void send_request(struct conn *c) {
  c->seen = 0;
  c->trailing = 0;
  c->last = 0;
  c->start = -1;
  /* A few hundred bytes into an empty socket buffer: one write takes all of it. */
  if (write(c->fd, request, request_len) != (ssize_t)request_len) {
    failed++;
    close_conn(c);
  }
}

static void open_conn(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) { perror("socket"); failed++; return; }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  struct conn *c = calloc(1, sizeof *c);
  c->fd = fd;
  c->start = -1;
  open_conns++;
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) { failed++; close(fd); free(c); open_conns--; return; }
  struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
  epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static char buf[64 * 1024];

/* Reads what the socket has; 0 when the connection is gone. */
static int readable(struct conn *c) {
  for (;;) {
    ssize_t n = read(c->fd, buf, sizeof buf);
    if (n == 0) return 0;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
    double t = now_ms();
    if (c->start < 0) c->start = t; /* the head and the first events come together */
    /* carry: the byte before buf[from] — 0 just after a blank line, so "\n\n\n" is one event */
    char carry = c->last;
    ssize_t from = 0;
    while (from < n) {
      char *nl = memchr(buf + from, '\n', n - from);
      if (!nl) break;
      ssize_t j = nl - buf;
      char before = j == from ? carry : buf[j - 1];
      from = j + 1;
      if (c->seen >= events_per_response) {
        if (++c->trailing == 3) {
          if (steady && now_ms() < end_at) send_request(c);
          else close_conn(c);
          return 2; /* one response at a time per connection: nothing else is in flight */
        }
        carry = '\n';
      } else if (before == '\n') {
        int token = ++c->seen - head_events;
        if (token >= 1 && token <= tokens) lag(t - c->start - per_token_ms * token);
        carry = 0;
      } else carry = '\n';
    }
    c->last = from == n ? carry : buf[n - 1];
  }
}

int main(int argc, char **argv) {
  if (argc != 9) {
    fprintf(stderr, "usage: %s <port> <request-file> <streams> <steady|burst> <seconds> <per-token-ms> <tokens> <head-events>\n", argv[0]);
    return 2;
  }
  port = atoi(argv[1]);
  FILE *f = fopen(argv[2], "rb");
  if (!f) { perror(argv[2]); return 2; }
  request = malloc(1 << 16);
  request_len = fread(request, 1, 1 << 16, f);
  fclose(f);
  long streams = atol(argv[3]);
  steady = strcmp(argv[4], "steady") == 0;
  double seconds = atof(argv[5]);
  per_token_ms = atof(argv[6]);
  tokens = atoi(argv[7]);
  head_events = atoi(argv[8]);
  events_per_response = head_events + tokens + 2; /* the finish event and [DONE] */

  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }
  epfd = epoll_create1(0);
  double t0 = now_ms();
  end_at = t0 + seconds * 1e3;
  /* steady: starts spread evenly over one stream's length; burst: all at once */
  double stream_ms = per_token_ms * tokens;
  long per_ms = steady ? (long)(streams / stream_ms + 0.5) : streams;
  if (per_ms < 1) per_ms = 1;
  long opened = 0;
  double next_open = t0;
  struct epoll_event evs[1024];
  while (opened < streams || open_conns > 0) {
    double t = now_ms();
    while (opened < streams && t >= next_open) {
      for (long i = 0; i < per_ms && opened < streams; i++, opened++) open_conn();
      next_open += 1;
    }
    int timeout = opened < streams ? 1 : 100;
    int n = epoll_wait(epfd, evs, 1024, timeout);
    for (int i = 0; i < n; i++) {
      struct conn *c = evs[i].data.ptr;
      if (evs[i].events & EPOLLOUT) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) { failed++; close_conn(c); continue; }
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
        send_request(c);
        continue;
      }
      int r = readable(c);
      if (r == 0) {
        if (c->seen < events_per_response) failed++;
        close_conn(c);
      }
    }
  }
  double elapsed = (now_ms() - t0) / 1e3;
  qsort(lags, nlags, sizeof *lags, cmp);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("{\"tokenEvents\":%zu,\"p50\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f,\"failed\":%ld,\"seconds\":%.3f,\"cpuUserSeconds\":%.3f,\"cpuSystemSeconds\":%.3f}\n",
         nlags, quantile(0.5), quantile(0.99), quantile(0.999), nlags ? lags[nlags - 1] : 0.0 / 0.0, failed, elapsed,
         ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6, ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
  return 0;
}
