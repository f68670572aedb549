-- only
/* comments */ -- here

   
