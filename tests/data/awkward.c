/*
 * A corpus of awkward C for the counting rules. The test lists what each line must give.
 * This comment mentions GFP_NOFS, spanning
 * several lines before it ends: GFP_NOIO */
#include <linux/gfp.h>
#define GFP_NOFS	(__GFP_RECLAIM | __GFP_IO)
#  define MY_FLAGS (GFP_NOFS | \
		    __GFP_NOFAIL) /* continued GFP_NOIO */
#define XGFP_NOFS 1
static const char *names[] = { "GFP_NOFS", "say \"GFP_NOIO\" twice", };
static const char quote = '\'', other = '"';

static int __init try_alloc(struct inode *inode, int GFP_NOFS_X)
{
	void *p = kmalloc(16, GFP_NOFS | __GFP_NOFAIL); // GFP_NOFS in a line comment
	char *msg = "a string with GFP_NOIO and an escaped quote \" GFP_NOFS";
	int XGFP_NOFS = GFP_NOFSX + GFP_NOFS_X + MY_GFP_NOFS;
#if 0
	p = kzalloc(8, GFP_NOFS);
#endif
	/* } a brace in a comment does not end the function */
	return p ? 0 : -ENOMEM;
}

static inline unsigned int memalloc_nofs_save(void)
{
	return memalloc_flags_save(PF_MEMALLOC_NOFS);
}

// a line comment with a continuation \
   memalloc_nofs_restore is still in the comment
int use_after(void) { unsigned int f = memalloc_nofs_save(); memalloc_nofs_restore(f); return 0; }

static struct ops table = {
	.gfp = GFP_NOIO,
};

SYSCALL_DEFINE1(flags, int, x)
{
	return x & __GFP_FS;
}
