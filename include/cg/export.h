/* export.h - marks the symbols libcg exports; everything else stays hidden. */
#ifndef CG_EXPORT_H
#define CG_EXPORT_H

#if defined(__GNUC__)
#define CG_API __attribute__((visibility("default")))
#else
#define CG_API
#endif

#endif
