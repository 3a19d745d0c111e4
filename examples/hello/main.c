/* The bundled example: two translation units, stdio, a table of pointers
 * (rebases), a constructor, a thread-local and a libSystem call or two. */
#include <stdio.h>
#include <string.h>

extern const char *greet(int i);
extern const char *const names[];
extern int nnames;

static int initialized;
__attribute__((constructor)) static void init(void) { initialized = 42; }
_Thread_local int calls;

int main(int argc, char **argv) {
  (void)argv;
  for (int i = 0; i < nnames; i++) {
    calls++;
    printf("%s, %s (%zu letters)\n", greet(i), names[i], strlen(names[i]));
  }
  printf("constructor ran: %s; calls on this thread: %d; argc: %d\n", initialized == 42 ? "yes" : "no", calls, argc);
  return 0;
}
