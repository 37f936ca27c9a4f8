/* café GFP_NOFS */ int latin1 = GFP_NOIO;
const char *s = "ÿþ GFP_NOFS";
int éGFP_NOFS = GFP_NOIO ;
// Ã( GFP_NOIO
int end = GFP_NOFS;
