console.log("portico");
