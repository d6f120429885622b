import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{b as e,c as r}from"./chunk-4HVQNA6I.js";var q=r((u,i)=>{i.exports=e("node:http")});var s=r((x,o)=>{o.exports=e("node:tls")});var t=r((a,p)=>{p.exports=e("https")});export{t as a,q as b,s as c};
