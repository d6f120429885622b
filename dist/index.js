import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
<<<<<<< HEAD
import{j as t,s as i,t as a,w as o}from"./chunks/chunk-KS5DJHT2.js";import"./chunks/chunk-VPABT5YR.js";import"./chunks/chunk-TUK7PVCN.js";t();if(a())await o();else{i();let{run:e}=await import("./chunks/main-OV425MIN.js"),{cancelled:s}=await e();s&&process.exit(1)}
=======
import{f as i,g as a,j as o}from"./chunks/chunk-E6SFQOY7.js";import{l as t}from"./chunks/chunk-USGXNTBY.js";import"./chunks/chunk-VPABT5YR.js";import"./chunks/chunk-TUK7PVCN.js";t();if(a())await o();else{i();let{run:e}=await import("./chunks/main-TU6QIMT5.js"),{cancelled:s}=await e();s&&process.exit(1)}
>>>>>>> main
