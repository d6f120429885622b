import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{b as e,c as r}from"./chunk-4HVQNA6I.js";var q=r((u,i)=>{i.exports=e("node:crypto")});var s=r((x,o)=>{o.exports=e("node:net")});var t=r((a,p)=>{p.exports=e("node:async_hooks")});export{q as a,s as b,t as c};
