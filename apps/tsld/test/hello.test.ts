import { describe, expect, it } from "vitest";
import { compileC, linkBoth, runMachO, tmp } from "./helpers.js";

describe("hello", () => {
  it("links a multi-file C program that runs like lld's", async () => {
    const a = compileC(`#include <stdio.h>
#include <stdlib.h>
extern int twice(int);
extern const char *greeting;
int counter = 3;
static int cmp(const void *x, const void *y) { return *(const int *)x - *(const int *)y; }
int main(int argc, char **argv) {
  int v[5] = {5, 3, 9, 1, 7};
  qsort(v, 5, sizeof v[0], cmp);
  printf("%s %d %d\\n", greeting, twice(counter), argc);
  for (int i = 0; i < 5; i++) printf("%d ", v[i]);
  printf("\\n");
  char *p = malloc(32);
  snprintf(p, 32, "heap %s", argv[0] ? "ok" : "no");
  puts(p);
  free(p);
  return 0;
}`);
    const b = compileC(`const char *greeting = "hello from b";
int twice(int x) { return 2 * x; }`);
    const dir = tmp();
    const { ours, theirs } = await linkBoth(dir, "hello", [a, b]);
    const want = runMachO(theirs);
    const got = runMachO(ours);
    expect(want.status).toBe(0);
    expect(got.stderr).toBe(want.stderr);
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
  });
});
