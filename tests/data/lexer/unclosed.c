int before = GFP_NOFS;
/* a comment never closed: the file's end closes it
int still_in_the_comment = GFP_NOFS;
"GFP_NOIO"
#define GFP_NOFS 1
