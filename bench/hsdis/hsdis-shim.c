/*
 * A HotSpot disassembler plugin for JDK 25 over Debian's FCML build (package libhsdis0-fcml).
 *
 * HotSpot since JDK 13 calls decode_instructions_virtual, which takes the code's virtual address
 * and a buffer holding its bytes; Debian's libhsdis.so.0 exports only the older
 * decode_instructions, which takes the bytes' own address range. For compiled Java code the two
 * are the same memory, so this forwards the buffer to the old entry point. Loaded by the JVM as
 * hsdis-amd64.so from LD_LIBRARY_PATH; build.sh makes it.
 */
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>

typedef void *(*event_callback)(void *stream, const char *event, void *arg);
typedef int (*printf_callback)(void *stream, const char *format, ...);
typedef void *(*decode_instructions_fn)(void *start, void *end, event_callback event,
                                        void *event_stream, printf_callback printf_fn,
                                        void *printf_stream, const char *options);

#ifndef FCML_HSDIS
#define FCML_HSDIS "libhsdis.so.0"
#endif

void *decode_instructions_virtual(uintptr_t start_va, uintptr_t end_va, unsigned char *buffer,
                                  uintptr_t length, event_callback event, void *event_stream,
                                  printf_callback printf_fn, void *printf_stream,
                                  const char *options, int newline) {
    static decode_instructions_fn decode;
    (void) start_va;
    (void) end_va;
    (void) newline;
    if (decode == NULL) {
        void *library = dlopen(FCML_HSDIS, RTLD_NOW | RTLD_LOCAL);
        if (library == NULL) {
            return NULL;
        }
        decode = (decode_instructions_fn) dlsym(library, "decode_instructions");
        if (decode == NULL) {
            return NULL;
        }
    }
    return decode(buffer, buffer + length, event, event_stream, printf_fn, printf_stream,
                  options);
}
