const char *const names[] = {"Mach-O", "dyld", "Linux"};
int nnames = sizeof names / sizeof names[0];
static const char *const greetings[] = {"Hello", "Bonjour", "Hallo"};
const char *greet(int i) { return greetings[i % 3]; }
