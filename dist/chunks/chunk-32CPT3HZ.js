import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{b as r,c as i}from"./chunk-TUK7PVCN.js";var o=i((p,e)=>{e.exports=r("util")});export{o as a};
