<?xml version="1.0" encoding="UTF-8"?>
<tileset version="1.10" tiledversion="1.10.2" name="samplemap-tiles" tilewidth="32" tileheight="32" tilecount="39" columns="8">
 <image source="samplemap-tiles.png" width="256" height="160"/>
 <tile id="0">
  <properties>
   <property name="name" value="grass"/>
  </properties>
 </tile>
 <tile id="1">
  <properties>
   <property name="name" value="grass_dark"/>
  </properties>
 </tile>
 <tile id="2">
  <properties>
   <property name="name" value="grass_pebbles"/>
  </properties>
 </tile>
 <tile id="3">
  <properties>
   <property name="name" value="dirt"/>
  </properties>
 </tile>
 <tile id="4">
  <properties>
   <property name="name" value="sand"/>
  </properties>
 </tile>
 <tile id="5">
  <properties>
   <property name="name" value="water"/>
   <property name="walkable" type="bool" value="false"/>
  </properties>
 </tile>
 <tile id="6">
  <properties>
   <property name="name" value="bridge"/>
  </properties>
 </tile>
 <tile id="7">
  <properties>
   <property name="name" value="cobble"/>
  </properties>
 </tile>
 <tile id="8">
  <properties>
   <property name="name" value="wood_floor"/>
  </properties>
 </tile>
 <tile id="9">
  <properties>
   <property name="name" value="stone_wall"/>
   <property name="walkable" type="bool" value="false"/>
  </properties>
 </tile>
 <tile id="10">
  <properties>
   <property name="name" value="door"/>
  </properties>
 </tile>
 <tile id="11">
  <properties>
   <property name="name" value="roof"/>
   <property name="walkable" type="bool" value="false"/>
  </properties>
 </tile>
 <tile id="12">
  <properties>
   <property name="name" value="tree"/>
   <property name="walkable" type="bool" value="false"/>
  </properties>
 </tile>
 <tile id="13">
  <properties>
   <property name="name" value="pine"/>
   <property name="walkable" type="bool" value="false"/>
  </properties>
 </tile>
 <tile id="14">
  <properties>
   <property name="name" value="bush"/>
   <property name="walkable" type="bool" value="false"/>
  </properties>
 </tile>
 <tile id="15">
  <properties>
   <property name="name" value="rock"/>
   <property name="walkable" type="bool" value="false"/>
  </properties>
 </tile>
 <tile id="16">
  <properties>
   <property name="name" value="flowers_red"/>
  </properties>
 </tile>
 <tile id="17">
  <properties>
   <property name="name" value="flowers_yellow"/>
  </properties>
 </tile>
 <tile id="18">
  <properties>
   <property name="name" value="tall_grass"/>
  </properties>
 </tile>
 <tile id="19">
  <properties>
   <property name="name" value="fence"/>
  </properties>
 </tile>
 <tile id="20">
  <properties>
   <property name="name" value="well"/>
  </properties>
 </tile>
 <tile id="21">
  <properties>
   <property name="name" value="market_stall"/>
  </properties>
 </tile>
 <tile id="22">
  <properties>
   <property name="name" value="barrel"/>
  </properties>
 </tile>
 <tile id="23">
  <properties>
   <property name="name" value="blocker"/>
  </properties>
 </tile>
 <tile id="24">
  <properties>
   <property name="name" value="forest_floor"/>
  </properties>
 </tile>
 <tile id="25">
  <properties>
   <property name="name" value="gate"/>
  </properties>
 </tile>
 <tile id="26">
  <properties>
   <property name="name" value="stairs_down"/>
  </properties>
 </tile>
 <tile id="27">
  <properties>
   <property name="name" value="stairs_up"/>
  </properties>
 </tile>
 <tile id="28">
  <properties>
   <property name="name" value="dungeon_floor"/>
  </properties>
 </tile>
 <tile id="29">
  <properties>
   <property name="name" value="dungeon_wall"/>
   <property name="walkable" type="bool" value="false"/>
  </properties>
 </tile>
 <tile id="30">
  <properties>
   <property name="name" value="wall_torch"/>
   <property name="walkable" type="bool" value="false"/>
  </properties>
 </tile>
 <tile id="31">
  <properties>
   <property name="name" value="rubble"/>
   <property name="walkable" type="bool" value="false"/>
  </properties>
 </tile>
 <tile id="32">
  <properties>
   <property name="name" value="cobweb"/>
  </properties>
 </tile>
 <tile id="33">
  <properties>
   <property name="name" value="bones_pile"/>
  </properties>
 </tile>
 <tile id="34">
  <properties>
   <property name="name" value="crate"/>
  </properties>
 </tile>
 <tile id="35">
  <properties>
   <property name="name" value="mushrooms"/>
  </properties>
 </tile>
 <tile id="36">
  <properties>
   <property name="name" value="fallen_log"/>
   <property name="walkable" type="bool" value="false"/>
  </properties>
 </tile>
 <tile id="37">
  <properties>
   <property name="name" value="tent"/>
   <property name="walkable" type="bool" value="false"/>
  </properties>
 </tile>
 <tile id="38">
  <properties>
   <property name="name" value="campfire"/>
  </properties>
 </tile>
</tileset>
