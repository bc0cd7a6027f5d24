/* Load client for the LDAP benchmark: N threads, one persistent connection each, synchronous
 * searches from a query file for D seconds; prints count and latency percentiles.
 * Usage: ldapload <uri> <binddn> <password> <base> <queries-file> <connections> <seconds>
 * The queries file has one filter per line. Built by bench/ldap-bench.ts with libldap. */
#define LDAP_DEPRECATED 0
#include <ldap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char **queries; static int nqueries;
static const char *uri, *binddn, *password, *base;
static double seconds;
static volatile int stop;

typedef struct { long count, errors, entries; double *lat; long cap; int id; } worker_t;

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static void *run(void *arg) {
  worker_t *w = arg;
  LDAP *ld; int v3 = LDAP_VERSION3;
  if (ldap_initialize(&ld, uri) != LDAP_SUCCESS) { w->errors++; return NULL; }
  ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
  struct berval cred = { strlen(password), (char *)password };
  if (ldap_sasl_bind_s(ld, binddn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL) != LDAP_SUCCESS) { w->errors++; return NULL; }
  char *attrs[] = { "cn", "telephoneNumber", "mobile", NULL };
  long i = w->id * 7919;
  while (!stop) {
    const char *filter = queries[i++ % nqueries];
    LDAPMessage *res = NULL;
    double t0 = now();
    int rc = ldap_search_ext_s(ld, base, LDAP_SCOPE_SUBTREE, filter, attrs, 0, NULL, NULL, NULL, 50, &res);
    double dt = now() - t0;
    if (rc == LDAP_SUCCESS || rc == LDAP_SIZELIMIT_EXCEEDED) {
      w->entries += ldap_count_entries(ld, res);
      if (w->count == w->cap) { w->cap *= 2; w->lat = realloc(w->lat, w->cap * sizeof(double)); }
      w->lat[w->count++] = dt;
    } else w->errors++;
    if (res) ldap_msgfree(res);
  }
  ldap_unbind_ext_s(ld, NULL, NULL);
  return NULL;
}

static int cmp(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return x < y ? -1 : x > y; }

int main(int argc, char **argv) {
  if (argc != 8) { fprintf(stderr, "usage: %s uri binddn password base queries connections seconds\n", argv[0]); return 2; }
  uri = argv[1]; binddn = argv[2]; password = argv[3]; base = argv[4];
  int conns = atoi(argv[6]); seconds = atof(argv[7]);
  FILE *f = fopen(argv[5], "r"); if (!f) { perror("queries"); return 2; }
  char line[1024]; int cap = 1024; queries = malloc(cap * sizeof(char *));
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0; if (!*line) continue;
    if (nqueries == cap) { cap *= 2; queries = realloc(queries, cap * sizeof(char *)); }
    queries[nqueries++] = strdup(line);
  }
  fclose(f);
  pthread_t *th = calloc(conns, sizeof(pthread_t)); worker_t *ws = calloc(conns, sizeof(worker_t));
  double t0 = now();
  for (int i = 0; i < conns; i++) { ws[i].cap = 4096; ws[i].lat = malloc(4096 * sizeof(double)); ws[i].id = i; pthread_create(&th[i], NULL, run, &ws[i]); }
  struct timespec d = { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9) };
  nanosleep(&d, NULL); stop = 1;
  for (int i = 0; i < conns; i++) pthread_join(th[i], NULL);
  double elapsed = now() - t0;
  long total = 0, errors = 0, entries = 0;
  for (int i = 0; i < conns; i++) { total += ws[i].count; errors += ws[i].errors; entries += ws[i].entries; }
  double *all = malloc((total + 1) * sizeof(double)); long k = 0;
  for (int i = 0; i < conns; i++) { memcpy(all + k, ws[i].lat, ws[i].count * sizeof(double)); k += ws[i].count; }
  qsort(all, total, sizeof(double), cmp);
  double p50 = total ? all[total / 2] : 0, p99 = total ? all[(long)(total * 0.99)] : 0;
  printf("{\"searches\":%ld,\"errors\":%ld,\"entries\":%ld,\"seconds\":%.3f,\"p50_ms\":%.3f,\"p99_ms\":%.3f}\n",
         total, errors, entries, elapsed, p50 * 1000, p99 * 1000);
  return 0;
}
