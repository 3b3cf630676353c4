/*
 * Benchmark-only native helper: create new net/ipc/uts namespaces in ONE process (no fork),
 * pin them by bind mount, bring lo up, set the hostname and namespaced sysctls.
 * usage: pin-helper [-n netpin] [-i ipcpin] [-u utspin] [-h hostname] [-s path=value]...
 * (pin files must exist; sysctl path is relative to /proc/sys, e.g. net/ipv4/ip_forward)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

static void fail(const char *step, const char *path) {
  fprintf(stderr, "pin-helper: %s %s: %s\n", step, path ? path : "", strerror(errno));
  exit(97);
}

int main(int argc, char **argv) {
  const char *pins[3] = {0, 0, 0}; /* net, ipc, uts */
  static const char *nsfile[3] = {"/proc/self/ns/net", "/proc/self/ns/ipc", "/proc/self/ns/uts"};
  static const int flag[3] = {CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS};
  const char *hostname = 0;
  char *sysctls[64];
  int nsys = 0, opt, flags = 0;
  while ((opt = getopt(argc, argv, "n:i:u:h:s:")) != -1) {
    switch (opt) {
      case 'n': pins[0] = optarg; break;
      case 'i': pins[1] = optarg; break;
      case 'u': pins[2] = optarg; break;
      case 'h': hostname = optarg; break;
      case 's': if (nsys < 64) sysctls[nsys++] = optarg; break;
      default: return 2;
    }
  }
  for (int k = 0; k < 3; k++) if (pins[k]) flags |= flag[k];
  if (unshare(flags) != 0) fail("unshare", 0);
  for (int k = 0; k < 3; k++)
    if (pins[k] && mount(nsfile[k], pins[k], 0, MS_BIND, 0) != 0) fail("pin", pins[k]);
  if (pins[0]) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0) fail("lo-up", "lo");
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) fail("lo-up", "lo");
    close(s);
  }
  if (hostname && sethostname(hostname, strlen(hostname)) != 0) fail("hostname", hostname);
  for (int i = 0; i < nsys; i++) {
    char path[512];
    char *eq = strchr(sysctls[i], '=');
    if (!eq) { errno = EINVAL; fail("sysctl", sysctls[i]); }
    *eq = 0;
    snprintf(path, sizeof path, "/proc/sys/%s", sysctls[i]);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) fail("sysctl", path);
    size_t len = strlen(eq + 1);
    if (write(fd, eq + 1, len) != (ssize_t)len) fail("sysctl", path);
    close(fd);
  }
  return 0;
}
