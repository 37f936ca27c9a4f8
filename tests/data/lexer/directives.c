#include <linux/gfp.h>
#define WITH_NOFS	GFP_NOFS
#  define CONTINUED(x)	do {		\
		kmalloc(x, GFP_NOFS);	\
		kfree(GFP_NOIO);	\
	} while (0)
int after_the_define = GFP_NOFS;
#define COMMENTED GFP_NOFS /* GFP_NOIO in a comment on the line */
#define QUOTED "GFP_NOFS in a string" GFP_NOIO
#define LINE_COMMENTED GFP_NOFS // GFP_NOIO \
	GFP_NOFS on the continued line of the comment
int after_the_commented_define = GFP_NOIO;
	#	define INDENTED GFP_NOFS
#if 0
	p = kmalloc(8, GFP_NOFS); /* read as code: the rule is lexical */
	"GFP_NOIO in a string in #if 0";
#else
	p = kmalloc(8, GFP_NOIO);
#endif
#error don't GFP_NOFS
int after_the_apostrophe = GFP_NOFS;
#pragma message("GFP_NOIO") GFP_NOFS
static int f(void)
{
#ifdef CONFIG_X
	return GFP_NOFS;
#endif
	return GFP_NOIO; # not a directive GFP_NOFS
}
int not_a_directive = 1 # GFP_NOFS;
