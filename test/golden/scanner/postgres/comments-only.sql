-- nothing here
/* really
   nothing */

